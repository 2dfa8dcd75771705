/**
 * YAML text → typed `Workflow`, keeping the source range of every node so that
 * every problem, lens and hover points at the right line and column.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node, type Pair, type YAMLError, type YAMLMap } from 'yaml';
import { aliasProblem, TO_JS_OPTIONS } from './aliases';
import { MAX_DURATION_MS, parseDuration } from './duration';
import { setEntry, splitTemplate } from './expressions';
import { validateSchema } from './schema';
import { defaultProblem, misplacedKey, RESERVED_IDS } from './shape';
import { scalarOffsets, SourceMap } from './source';
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

export interface LoadResult {
  /** Present whenever the file is a YAML mapping, even when it has problems, so editors can still outline it. */
  workflow?: Workflow;
  problems: Problem[];
  source: SourceMap;
}

/** The keys that give a step its kind; exactly one per step (`fail` alone also makes a step). */
export const KIND_KEYS: Record<string, StepKind> = {
  prompt: 'prompt',
  parallel: 'parallel',
  switch: 'switch',
  input: 'input',
  set: 'set',
  uses: 'workflow',
};

const INPUT_TYPES: readonly InputType[] = ['string', 'number', 'boolean', 'object', 'array'];

export const DEFAULT_MAX_VISITS = 10;
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_RETRY_DELAY_MS = 1000;

/** How every workflow file is parsed. */
export const YAML_OPTIONS = {
  prettyErrors: false,
  uniqueKeys: true,
  // A mapping used as a key is reported by the schema, not warned about on stderr.
  logLevel: 'error',
} as const;

/** Parses and schema-checks a workflow file. Never throws on bad input. */
export function loadWorkflow(text: string, file: string): LoadResult {
  return loadDocument(parseDocument(text, YAML_OPTIONS), text, file);
}

/** Sorts problems by where they are, then by code, so every face lists them alike. */
export function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => a.range.offset - b.range.offset || a.code.localeCompare(b.code));
}

/** Checks and builds a workflow from its parsed document (`text` is what it was parsed from). */
export function loadDocument(doc: Document, text: string, file: string): LoadResult {
  const source = new SourceMap(text);
  const problems: Problem[] = [];
  let lastLine = 0;
  for (const error of doc.errors) {
    const range = yamlErrorRange(error, doc, source);
    // A second error on the same line is nearly always a knock-on effect of the first.
    if (range.start.line === lastLine) continue;
    lastLine = range.start.line;
    problems.push({ file, range, code: 'yaml-syntax', severity: 'error', message: yamlMessage(error, text) });
  }
  if (doc.errors.length > 0) return { problems, source };
  const aliases = aliasProblem(doc, source, file);
  if (aliases) return { problems: [aliases], source };
  if (!isMap(doc.contents)) {
    problems.push({
      file,
      range: source.range(0, Math.min(text.length, 1)),
      code: 'schema',
      severity: 'error',
      message: 'a workflow is a YAML mapping with at least `name:` and `steps:`; see examples/ for one to start from',
    });
    return { problems, source };
  }
  problems.push(...validateSchema(doc, source, file));
  const builder = new Builder(doc, source, file, problems);
  const workflow = builder.workflow(doc.contents);
  // `invalid-duration` already says what `timeout: soon` should be; the schema's error on the same value adds nothing.
  const durations = problems.filter((p) => p.code === 'invalid-duration').map((p) => `${p.range.offset}:${p.range.endOffset}`);
  const kept = problems.filter((p) => p.code !== 'schema' || !durations.includes(`${p.range.offset}:${p.range.endOffset}`));
  return { workflow, problems: kept, source };
}

/** What to do about the yaml package's errors, by code, where its own message does not say. */
const YAML_HINTS: Partial<Record<YAMLError['code'], string>> = {
  TAB_AS_INDENT: 'indent with spaces',
  BLOCK_AS_IMPLICIT_KEY: 'a line below is indented deeper than the keys beside it; line up the keys of one mapping in the same column, or quote a value that contains `: `',
  MULTILINE_IMPLICIT_KEY: 'check the indentation, and look for an unclosed quote or bracket above',
  BAD_INDENT: 'line up the keys of one mapping (and the `-` items of one list) in the same column',
  BAD_SCALAR_START: 'put the value in quotes',
  BAD_DQ_ESCAPE: 'inside double quotes write `\\\\` for a backslash, or use single quotes',
  MULTIPLE_DOCS: 'a workflow file holds one YAML document; remove the `---` line',
};

function yamlMessage(error: YAMLError, text: string): string {
  if (error.code === 'DUPLICATE_KEY') {
    const key = /^[^:\n]*/.exec(text.slice(error.pos[0]))?.[0].trim();
    if (key) return `YAML syntax: \`${key}\` appears twice in the same mapping; keep one`;
  }
  if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) {
    const quote = error.message.includes("'") ? "'" : '"';
    return `YAML syntax: this \`${quote}\` is never closed; end the text with \`${quote}\` (for a multi-line text, use \`|\` instead of quotes)`;
  }
  const first = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const hint = YAML_HINTS[error.code];
  return `YAML syntax: ${first.charAt(0).toLowerCase()}${first.slice(1)}${hint ? `; ${hint}` : ''}`;
}

/** Where the error is; an unclosed quote is shown at its opening quote, not at the end of the file. */
function yamlErrorRange(error: YAMLError, doc: Document, source: SourceMap): SourceRange {
  if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) {
    let open: number | undefined;
    visit(doc, {
      Scalar(_, scalar) {
        if ((scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE') && scalar.range?.[1] === error.pos[0]) open = scalar.range[0];
      },
    });
    if (open !== undefined) return source.range(open, open + 1);
  }
  if (error.code === 'DUPLICATE_KEY') {
    const key = /^[^:\n]*/.exec(source.text.slice(error.pos[0]))?.[0].trimEnd() ?? '';
    return source.range(error.pos[0], error.pos[0] + Math.max(key.length, 1));
  }
  return source.range(error.pos[0], Math.max(error.pos[1], error.pos[0] + 1));
}

export function nodeRange(node: Node | null | undefined, source: SourceMap): SourceRange {
  const range = node?.range;
  if (!range) return source.range(0, 0);
  return source.range(range[0], range[1]);
}

/** Builds the model from the YAML tree, tolerating nodes the schema already reported. */
class Builder {
  private readonly offsetCache = new Map<Node, number[] | 'as-is' | undefined>();

  constructor(
    private readonly doc: Document,
    private readonly source: SourceMap,
    private readonly file: string,
    private readonly problems: Problem[],
  ) {}

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
      case 'workflow': {
        const uses = this.get(node, 'uses');
        const withNode = this.get(node, 'with');
        const inputs: Record<string, TemplateValue> = {};
        if (isMap(withNode)) {
          for (const pair of withNode.items) {
            const key = this.keyOf(pair);
            if (key !== undefined) setEntry(inputs, key, this.templateValue(pair.value as Node));
          }
        }
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
    return this.exprIn(node!, value, start, end);
  }

  private template(node: Node | undefined): Template | undefined {
    const value = this.value(node);
    if (value === undefined || value === null) return undefined;
    const source = typeof value === 'string' ? value : JSON.stringify(value);
    const range = this.range(node);
    const split = splitTemplate(source);
    if (split.error) {
      this.problem(this.rangeIn(node!, source, split.error.offset, split.error.offset + 2), 'template-syntax', split.error.message);
      return { source, parts: [{ text: source }], range };
    }
    const parts = split.parts.map((part) => (part.text !== undefined ? { text: part.text } : { expr: this.exprIn(node!, source, part.expr!.start, part.expr!.end) }));
    return { source, parts, range };
  }

  /** The expression `value.slice(start, end)` of a scalar, located in the file character by character. */
  private exprIn(node: Node, value: string, start: number, end: number): Expr {
    const source = value.slice(start, end);
    const offsets = this.offsetsOf(node, value);
    if (offsets === 'as-is') {
      const at = this.range(node).offset;
      return { source, range: this.source.range(at + start, at + end) };
    }
    if (!offsets) return { source, range: this.range(node) };
    const own = offsets.slice(start, end);
    own.push(end > start ? offsets[end - 1] + 1 : offsets[start]);
    return { source, range: this.source.range(own[0], own[own.length - 1]), offsets: own };
  }

  /** The range of `value.slice(start, end)` inside a scalar whose value is `value`. */
  private rangeIn(node: Node, value: string, start: number, end: number): SourceRange {
    const expr = this.exprIn(node, value, start, end);
    return expr.range;
  }

  /**
   * Where each character of a scalar's value is in the file: `as-is` when the file holds
   * the value verbatim (a plain one-line scalar), undefined when it cannot be told (an
   * alias, a value that is not text).
   */
  private offsetsOf(node: Node, value: string): number[] | 'as-is' | undefined {
    if (!isScalar(node) || !node.range) return undefined;
    const cached = this.offsetCache.get(node);
    if (cached !== undefined || this.offsetCache.has(node)) return cached;
    const [from, to] = node.range;
    const raw = this.source.text.slice(from, to);
    let offsets: number[] | 'as-is' | undefined = 'as-is';
    if (raw !== value) offsets = typeof node.value === 'string' ? scalarOffsets(value, raw, node.type)?.map((o) => o + from) : undefined;
    this.offsetCache.set(node, offsets);
    return offsets;
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
