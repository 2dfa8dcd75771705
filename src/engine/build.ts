/**
 * Builds the typed `Workflow` from a parsed YAML tree, keeping the source range of every
 * node it reads, and reporting what the schema cannot see about a step's shape.
 * (A little over 400 lines: one walk over the tree with its small readers, which read
 * better together than split across files.)
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { TO_JS_OPTIONS } from './aliases';
import { MAX_DURATION_MS, parseDuration } from './duration';
import { setEntry, splitTemplate } from './expressions';
import { defaultProblem, misplacedKey, RESERVED_IDS } from './shape';
import { ScalarLocator } from './locate';
import { parseWorkflowMcp, type WorkflowMcp } from './tools/workflow-servers';
import type { SourceMap } from './source';
import type {
  Expr,
  InputDef,
  InputType,
  ModelSettings,
  Problem,
  ProblemCode,
  SourceRange,
  Step,
  StepBase,
  StepKind,
  Target,
  Template,
  TemplateValue,
  Workflow,
  WorkerDef,
} from './types';

/** The keys that give a step its kind; exactly one per step (`fail` alone also makes a step). */
export const KIND_KEYS: Record<string, StepKind> = {
  prompt: 'prompt',
  parallel: 'parallel',
  switch: 'switch',
  input: 'input',
  set: 'set',
  uses: 'workflow',
  tool: 'tool',
};

/** A prompt's tool loop stops after this many model calls unless `max_turns` says otherwise. */
export const DEFAULT_MAX_TURNS = 10;

const INPUT_TYPES: readonly InputType[] = ['string', 'number', 'boolean', 'object', 'array'];

export const DEFAULT_MAX_VISITS = 10;
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_RETRY_DELAY_MS = 1000;

export function nodeRange(node: Node | null | undefined, source: SourceMap): SourceRange {
  const range = node?.range;
  if (!range) return source.range(0, 0);
  return source.range(range[0], range[1]);
}

/** Builds the model from the YAML tree, tolerating nodes the schema already reported. */
export class Builder {
  private readonly locator: ScalarLocator;

  constructor(
    private readonly doc: Document,
    private readonly source: SourceMap,
    private readonly file: string,
    private readonly problems: Problem[],
  ) {
    this.locator = new ScalarLocator(source);
  }

  workflow(root: YAMLMap): Workflow {
    // From the first key to the end of the file: trailing comments are the workflow's too.
    const range = this.source.range(root.range?.[0] ?? 0, this.source.text.length);
    const nameNode = this.get(root, 'name');
    const workflow: Workflow = {
      file: this.file,
      name: typeof this.value(nameNode) === 'string' ? (this.value(nameNode) as string) : fileTitle(this.file),
      description: this.string(this.get(root, 'description')),
      inputs: this.inputs(this.get(root, 'inputs')),
      model: this.model(this.get(root, 'model')) ?? {},
      workers: this.workers(this.get(root, 'workers')),
      ...(this.get(root, 'mcp') !== undefined ? { mcp: this.mcp(root), mcpNames: this.keyRanges(this.get(root, 'mcp')) ?? [] } : {}),
      steps: [],
      outputs: {},
      stepsById: new Map(),
      range,
    };
    const steps = this.get(root, 'steps');
    if (isSeq(steps)) {
      for (const item of steps.items) {
        const step = this.step(item as Node, workflow, undefined);
        if (step) workflow.steps.push(step);
      }
    }
    const outputs = this.get(root, 'outputs');
    if (isMap(outputs)) {
      for (const pair of outputs.items) {
        const key = this.keyOf(pair);
        if (key !== undefined) setEntry(workflow.outputs, key, this.templateValue(pair.value as Node));
      }
    }
    return workflow;
  }

  private inputs(node: Node | undefined): InputDef[] {
    if (!isMap(node)) return [];
    const inputs: InputDef[] = [];
    for (const pair of node.items) {
      const name = this.keyOf(pair);
      if (name === undefined) continue;
      const def = pair.value as Node | null;
      const get = (key: string) => (isMap(def) ? this.get(def, key) : undefined);
      const type = this.value(get('type'));
      const defaultValue = get('default') ? this.value(get('default')) : undefined;
      if (isMap(def)) this.checkDefault(def, INPUT_TYPES.includes(type as InputType) ? (type as InputType) : undefined);
      inputs.push({
        name,
        description: this.string(get('description')),
        type: (typeof type === 'string' ? type : typeof defaultValue === 'number' ? 'number' : typeof defaultValue === 'boolean' ? 'boolean' : 'string') as InputType,
        // Optional unless it says `required: true`; a missing optional input is null.
        required: this.value(get('required')) === true,
        default: defaultValue,
        choices: Array.isArray(this.value(get('choices'))) ? (this.value(get('choices')) as unknown[]) : undefined,
        range: this.range(pair.key as Node),
      });
    }
    return inputs;
  }

  private workers(node: Node | undefined): Record<string, WorkerDef> {
    const workers: Record<string, WorkerDef> = {};
    if (!isMap(node)) return workers;
    for (const pair of node.items) {
      const name = this.keyOf(pair);
      if (name === undefined || !isMap(pair.value)) continue;
      workers[name] = {
        name,
        description: this.string(this.get(pair.value, 'description')),
        system: this.template(this.get(pair.value, 'system')),
        model: this.model(this.get(pair.value, 'model')),
        range: this.range(pair.key as Node),
      };
    }
    return workers;
  }

  private model(node: Node | undefined): ModelSettings | undefined {
    if (!isMap(node)) return undefined;
    const value = this.value(node) as Record<string, unknown>;
    const settings: ModelSettings = {};
    if (typeof value.provider === 'string') settings.provider = value.provider;
    if (typeof value.name === 'string') settings.name = value.name;
    for (const key of ['temperature', 'max_tokens', 'top_p', 'seed'] as const) {
      if (typeof value[key] === 'number') settings[key] = value[key] as number;
    }
    if (typeof value.stop === 'string') settings.stop = [value.stop];
    else if (Array.isArray(value.stop)) settings.stop = value.stop.filter((s): s is string => typeof s === 'string');
    return settings;
  }

  private step(node: Node, workflow: Workflow, parentId: string | undefined): Step | undefined {
    if (!isMap(node)) return undefined;
    const idNode = this.get(node, 'id');
    const id = this.value(idNode);
    if (typeof id !== 'string' || id === '') return undefined;
    const kinds = Object.keys(KIND_KEYS).filter((key) => this.get(node, key) !== undefined);
    const range = this.range(node);
    const idRange = this.range(idNode);
    let kind: StepKind;
    if (kinds.length === 0) {
      if (this.get(node, 'fail') !== undefined) kind = 'fail';
      else {
        this.problem(idRange, 'missing-kind', `step \`${id}\` does nothing: give it one of ${Object.keys(KIND_KEYS).map((k) => `\`${k}:\``).join(', ')} (or \`fail:\` to end the run as failed)`, id);
        kind = 'set';
      }
    } else {
      if (kinds.length > 1) {
        const second = this.get(node, kinds[1]);
        this.problem(
          this.keyRange(node, kinds[1]) ?? this.range(second),
          'multiple-kinds',
          `step \`${id}\` has both \`${kinds[0]}:\` and \`${kinds[1]}:\`; a step does one thing — split it into two steps`,
          id,
        );
      }
      kind = KIND_KEYS[kinds[0]];
    }

    this.shape(node, id, idRange, kind, kinds.length > 0 || kind === 'fail', parentId);

    const base: StepBase = {
      id,
      kind,
      name: this.string(this.get(node, 'name')),
      description: this.string(this.get(node, 'description')),
      if: this.expr(this.get(node, 'if')),
      timeoutMs: this.duration(node, 'timeout', id),
      retries: this.integer(this.get(node, 'retries')) ?? 0,
      retryDelayMs: this.duration(node, 'retry_delay', id) ?? DEFAULT_RETRY_DELAY_MS,
      check: this.expr(this.get(node, 'check')),
      next: this.target(this.get(node, 'next')),
      onSuccess: this.target(this.get(node, 'on_success')),
      onFailure: this.target(this.get(node, 'on_failure')),
      end: this.value(this.get(node, 'end')) === true,
      fail: this.template(this.get(node, 'fail')),
      maxVisits: this.integer(this.get(node, 'max_visits')) ?? DEFAULT_MAX_VISITS,
      cache: typeof this.value(this.get(node, 'cache')) === 'boolean' ? (this.value(this.get(node, 'cache')) as boolean) : undefined,
      mock: this.get(node, 'mock') !== undefined ? this.templateValue(this.get(node, 'mock')) : undefined,
      forEach: this.expr(this.get(node, 'for_each')),
      concurrency: this.integer(this.get(node, 'concurrency')) ?? DEFAULT_CONCURRENCY,
      parentId,
      range,
      idRange,
    };
    let step: Step;
    switch (kind) {
      case 'prompt': {
        const output = this.get(node, 'output');
        const schema = isMap(output) ? this.value(this.get(output, 'schema')) : undefined;
        const workerNode = this.get(node, 'worker');
        step = {
          ...base,
          kind,
          prompt: this.template(this.get(node, 'prompt')) ?? this.emptyTemplate(range),
          system: this.template(this.get(node, 'system')),
          worker: typeof this.value(workerNode) === 'string' ? { name: this.value(workerNode) as string, range: this.range(workerNode) } : undefined,
          model: this.model(this.get(node, 'model')),
          outputSchema: schema && typeof schema === 'object' ? (schema as Record<string, unknown>) : undefined,
          tools: this.toolList(this.get(node, 'tools')),
          maxTurns: this.integer(this.get(node, 'max_turns')) ?? DEFAULT_MAX_TURNS,
        };
        break;
      }
      case 'parallel': {
        const branches: Step[] = [];
        const list = this.get(node, 'parallel');
        step = { ...base, kind, branches };
        // Registered before its branches, so that when a branch repeats the parent's id the
        // parent wins (file order) and `parentId` chains never lead back to the branch itself.
        if (!workflow.stepsById.has(id)) workflow.stepsById.set(id, step);
        if (isSeq(list)) {
          for (const item of list.items) {
            const branch = this.step(item as Node, workflow, id);
            if (branch) branches.push(branch);
          }
        }
        break;
      }
      case 'switch': {
        const cases: { value: string; target: Target }[] = [];
        const casesNode = this.get(node, 'cases');
        if (isMap(casesNode)) {
          for (const pair of casesNode.items) {
            const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
            const target = this.target(pair.value as Node);
            if (key !== undefined && target) cases.push({ value: key, target });
          }
        }
        step = {
          ...base,
          kind,
          switch: this.expr(this.get(node, 'switch')) ?? { source: 'null', range },
          cases,
          default: this.target(this.get(node, 'default')),
        };
        break;
      }
      case 'input':
        step = {
          ...base,
          kind,
          question: this.template(this.get(node, 'input')) ?? this.emptyTemplate(range),
          default: this.get(node, 'default') ? this.value(this.get(node, 'default')) : undefined,
          choices: Array.isArray(this.value(this.get(node, 'choices'))) ? (this.value(this.get(node, 'choices')) as unknown[]) : undefined,
        };
        break;
      case 'set':
        step = { ...base, kind, value: this.templateValue(this.get(node, 'set')) };
        break;
      case 'tool': {
        const toolNode = this.get(node, 'tool');
        const written = String(this.value(toolNode) ?? '');
        const dot = written.indexOf('.');
        step = {
          ...base,
          kind,
          tool: { server: dot > 0 ? written.slice(0, dot) : written, name: dot > 0 ? written.slice(dot + 1) : '', range: this.range(toolNode) },
          with: this.withValues(this.get(node, 'with')),
          withKeys: this.get(node, 'with') === undefined ? [] : this.keyRanges(this.get(node, 'with')),
        };
        break;
      }
      case 'workflow': {
        const uses = this.get(node, 'uses');
        const withNode = this.get(node, 'with');
        const inputs = this.withValues(withNode);
        const withKeys = isMap(withNode) ? withNode.items.flatMap((pair) => (isScalar(pair.key) ? [{ name: String(pair.key.value), range: this.range(pair.key) }] : [])) : [];
        step = { ...base, kind, uses: { path: String(this.value(uses) ?? ''), range: this.range(uses) }, with: inputs, withKeys };
        break;
      }
      case 'fail':
        step = { ...base, kind };
        break;
    }
    if (!workflow.stepsById.has(id)) workflow.stepsById.set(id, step);
    return step;
  }

  /** What the schema cannot say about a step: reserved ids, keys its kind ignores, a `switch` with nowhere to go. */
  private shape(node: YAMLMap, id: string, idRange: SourceRange, kind: StepKind, hasKind: boolean, parentId: string | undefined): void {
    if (RESERVED_IDS.includes(id)) {
      const meaning = id === 'end' ? 'finish the run successfully' : 'finish the run as failed';
      this.problem(idRange, 'reserved-id', `\`${id}\` cannot be a step id: in \`next\`, \`on_success\`, \`on_failure\` and \`cases\` it means "${meaning}"; rename the step (e.g. \`${id}_step\`)`, id);
    }
    const keys = new Set(node.items.flatMap((pair) => (isScalar(pair.key) ? [String(pair.key.value)] : [])));
    if (hasKind) {
      for (const key of keys) {
        if (Object.hasOwn(KIND_KEYS, key)) continue;
        const why = misplacedKey(key, kind, keys);
        if (why) this.problem(this.keyRange(node, key)!, 'misplaced-key', `step \`${id}\`: ${why}`, id);
      }
    }
    if (parentId !== undefined) {
      const stops = [keys.has('fail') ? 'fail' : undefined, this.value(this.get(node, 'end')) === true ? 'end' : undefined].filter((k) => k !== undefined);
      for (const key of stops) {
        this.problem(
          this.keyRange(node, key)!,
          'nested-transition',
          `step \`${id}\` is a branch of \`${parentId}\`, which runs its branches together, so \`${key}:\` here cannot stop the run; put \`${key}:\` on \`${parentId}\` itself${key === 'fail' ? ', or give this branch a `check:` that fails it' : ''}`,
          id,
        );
      }
    }
    if (kind === 'switch') {
      const cases = this.get(node, 'cases');
      if (cases === undefined || (isMap(cases) && cases.items.length === 0)) {
        this.problem(this.keyRange(node, 'switch')!, 'missing-cases', `switch step \`${id}\` has no \`cases:\`; add \`cases:\` that map the switch's values to step ids, \`end\` or \`fail\` (to always go one way, use \`next:\` instead of a switch)`, id);
      }
    }
    if (kind === 'input') this.checkDefault(node, undefined, id);
  }

  /** A `default` the input's own `type` or `choices` rule out would otherwise be used as is. */
  private checkDefault(def: YAMLMap, type: InputType | undefined, stepId?: string): void {
    const node = this.get(def, 'default');
    if (node === undefined) return;
    const choices = this.value(this.get(def, 'choices'));
    const why = defaultProblem(this.value(node), type, Array.isArray(choices) ? choices : undefined);
    if (why) this.problem(this.range(node), 'invalid-default', why, stepId);
  }

  /** `with:` values by key, as templates. */
  private withValues(withNode: Node | undefined): Record<string, TemplateValue> {
    const values: Record<string, TemplateValue> = {};
    if (isMap(withNode)) {
      for (const pair of withNode.items) {
        const key = this.keyOf(pair);
        if (key !== undefined) setEntry(values, key, this.templateValue(pair.value as Node));
      }
    }
    return values;
  }

  private toolList(node: Node | undefined): { patterns: string[]; range: SourceRange; entries: { pattern: string; range: SourceRange }[] } | undefined {
    const value = this.value(node);
    if (!Array.isArray(value)) return undefined;
    const entries = isSeq(node) ? node.items.flatMap((item) => (isScalar(item) && typeof item.value === 'string' ? [{ pattern: item.value, range: this.range(item) }] : [])) : [];
    return { patterns: value.filter((v): v is string => typeof v === 'string'), range: this.range(node), entries };
  }

  /** Where each key of a mapping is written; undefined when the node is not a mapping. */
  private keyRanges(node: Node | undefined): { name: string; range: SourceRange }[] | undefined {
    if (!isMap(node)) return undefined;
    return node.items.flatMap((pair) => (isScalar(pair.key) ? [{ name: String(pair.key.value), range: this.range(pair.key as Node) }] : []));
  }

  /** The `mcp:` key, its problems placed at the key path they name. */
  private mcp(root: YAMLMap): WorkflowMcp | undefined {
    const node = this.get(root, 'mcp');
    if (node === undefined) return undefined;
    const parsed = parseWorkflowMcp(this.value(node) ?? {}, this.file);
    for (const problem of parsed.problems) {
      // Warnings about the workspace's files belong to a run, which knows the workspace.
      if (problem.code === 'mcp-server-unknown') continue;
      // A problem with a whole server is shown at its name; one inside it, at the value it names.
      const pair = isMap(node) ? node.items.find((item) => isScalar(item.key) && String(item.key.value) === problem.path[1]) : undefined;
      const inner = problem.path.length > 2 ? (this.doc.getIn(problem.path, true) as Node | undefined) : undefined;
      const range = inner && typeof inner === 'object' && 'range' in inner ? this.range(inner) : this.range((pair?.key as Node | undefined) ?? node);
      this.problems.push({ file: this.file, range, code: problem.code, severity: problem.severity, message: problem.message });
    }
    return parsed;
  }

  // ─── Small readers ───────────────────────────────────────────────────────

  private get(map: YAMLMap, key: string): Node | undefined {
    const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
    return pair ? ((pair.value as Node | null) ?? (pair.key as Node)) : undefined;
  }

  private keyRange(map: YAMLMap, key: string): SourceRange | undefined {
    const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
    return pair ? this.range(pair.key as Node) : undefined;
  }

  private keyOf(pair: Pair): string | undefined {
    return isPair(pair) && isScalar(pair.key) ? String(pair.key.value) : undefined;
  }

  private value(node: Node | undefined | null): unknown {
    if (!node) return undefined;
    return isScalar(node) ? node.value : node.toJS(this.doc, TO_JS_OPTIONS);
  }

  private string(node: Node | undefined): string | undefined {
    const value = this.value(node);
    return typeof value === 'string' ? value : undefined;
  }

  private integer(node: Node | undefined): number | undefined {
    const value = this.value(node);
    return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
  }

  private range(node: Node | undefined | null): SourceRange {
    return nodeRange(node, this.source);
  }

  private duration(map: YAMLMap, key: string, stepId: string): number | undefined {
    const node = this.get(map, key);
    if (node === undefined) return undefined;
    const ms = parseDuration(this.value(node));
    if (ms === undefined) {
      this.problem(this.range(node), 'invalid-duration', `\`${key}\` must be a duration such as \`30s\`, \`2m\` or \`500ms\` (or a number of seconds)`, stepId);
    } else if (ms > MAX_DURATION_MS) {
      this.problem(this.range(node), 'invalid-duration', `\`${key}\` can be at most \`576h\` (24 days): a longer timer cannot be kept`, stepId);
      return undefined;
    }
    return ms;
  }

  private target(node: Node | undefined): Target | undefined {
    const value = this.value(node);
    return typeof value === 'string' ? { to: value, range: this.range(node) } : undefined;
  }

  private expr(node: Node | undefined): Expr | undefined {
    const value = this.value(node);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean' || typeof value === 'number') return { source: String(value), range: this.range(node) };
    if (typeof value !== 'string') return undefined;
    // Authors sometimes wrap an expression in `{{ }}` out of habit; accept it.
    let start = value.length - value.trimStart().length;
    let end = value.trimEnd().length;
    const wrapped = /^\{\{([\s\S]*)\}\}$/.exec(value.slice(start, end));
    if (wrapped) {
      const inner = wrapped[1];
      end = end - 2 - (inner.length - inner.trimEnd().length);
      start = start + 2 + (inner.length - inner.trimStart().length);
      if (end < start) end = start;
    }
    return this.locator.exprIn(node!, value, start, end);
  }

  private template(node: Node | undefined): Template | undefined {
    const value = this.value(node);
    if (value === undefined || value === null) return undefined;
    const source = typeof value === 'string' ? value : JSON.stringify(value);
    const range = this.range(node);
    const split = splitTemplate(source);
    if (split.error) {
      this.problem(this.locator.rangeIn(node!, source, split.error.offset, split.error.offset + 2), 'template-syntax', split.error.message);
      return { source, parts: [{ text: source }], range };
    }
    const parts = split.parts.map((part) => (part.text !== undefined ? { text: part.text } : { expr: this.locator.exprIn(node!, source, part.expr!.start, part.expr!.end) }));
    return { source, parts, range };
  }

  private templateValue(node: Node | undefined | null): TemplateValue {
    if (isSeq(node)) return { kind: 'list', items: node.items.map((item) => this.templateValue(item as Node)) };
    if (isMap(node)) {
      const entries: Record<string, TemplateValue> = {};
      for (const pair of node.items) {
        const key = this.keyOf(pair);
        if (key !== undefined) setEntry(entries, key, this.templateValue(pair.value as Node));
      }
      return { kind: 'object', entries };
    }
    const value = this.value(node);
    if (typeof value === 'string' && value.includes('{{')) return { kind: 'template', template: this.template(node ?? undefined)! };
    return { kind: 'literal', value: value ?? null };
  }

  private emptyTemplate(range: SourceRange): Template {
    return { source: '', parts: [], range };
  }

  private problem(range: SourceRange, code: ProblemCode, message: string, stepId?: string): void {
    this.problems.push({ file: this.file, range, code, severity: 'error', message, stepId });
  }
}

function fileTitle(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.workflow\.ya?ml$|\.ya?ml$/, '');
}
