/**
 * YAML text → typed `Workflow`, keeping the source range of every node so that
 * every problem, lens and hover points at the right line and column.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, visit, type Alias, type Document, type Node, type Pair, type YAMLError, type YAMLMap } from 'yaml';
import { parseDuration } from './duration';
import { setEntry, splitTemplate } from './expressions';
import { validateSchema } from './schema';
import { SourceMap } from './source';
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
  const aliasProblem = checkAliases(doc, source, file);
  if (aliasProblem) return { problems: [aliasProblem], source };
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

/**
 * Aliases (`*name`) the model cannot be built from: one with no anchor before it, one
 * inside the value it names (a cycle), or so many that expanding them would exhaust
 * memory. Each would otherwise throw out of the yaml library's `toJS`.
 */
function checkAliases(doc: Document, source: SourceMap, file: string): Problem | undefined {
  let first: Alias | undefined;
  let message: string | undefined;
  visit(doc, {
    Alias(_, alias) {
      first ??= alias;
      const target = alias.resolve(doc);
      if (!target) message = `YAML syntax: there is no anchor \`&${alias.source}\` before the alias \`*${alias.source}\`; define the anchor first, or write the value out`;
      else if (target.range && alias.range && target.range[0] <= alias.range[0] && alias.range[1] <= target.range[1]) {
        message = `YAML syntax: the alias \`*${alias.source}\` is inside the value it refers to, so it would never end; write the value out`;
      }
      if (!message) return undefined;
      first = alias;
      return visit.BREAK;
    },
  });
  if (!first) return undefined;
  if (!message) {
    try {
      doc.toJS();
    } catch {
      message = 'YAML syntax: the aliases (`*name`) in this file expand to too many values; write the values out, or use fewer aliases of aliases';
    }
  }
  if (!message) return undefined;
  const at = first.range ?? [0, 0];
  return { file, range: source.range(at[0], at[1]), code: 'yaml-syntax', severity: 'error', message };
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
        step = { ...base, kind, uses: { path: String(this.value(uses) ?? ''), range: this.range(uses) }, with: inputs };
        break;
      }
      case 'fail':
        step = { ...base, kind };
        break;
    }
    if (!workflow.stepsById.has(id)) workflow.stepsById.set(id, step);
    return step;
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
    return isScalar(node) ? node.value : node.toJS(this.doc);
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
    const trimmed = value.trim();
    const unwrapped = /^\{\{([\s\S]*)\}\}$/.exec(trimmed)?.[1]?.trim() ?? trimmed;
    return { source: unwrapped, range: this.locate(node!, value, unwrapped) };
  }

  private template(node: Node | undefined): Template | undefined {
    const value = this.value(node);
    if (value === undefined || value === null) return undefined;
    const source = typeof value === 'string' ? value : JSON.stringify(value);
    const range = this.range(node);
    const split = splitTemplate(source);
    if (split.error) {
      this.problem(this.locateOffset(node!, source, split.error.offset, 2), 'template-syntax', split.error.message);
      return { source, parts: [{ text: source }], range };
    }
    let searchFrom = 0;
    const raw = this.source.text.slice(range.offset, range.endOffset);
    const parts = split.parts.map((part) => {
      if (part.text !== undefined) return { text: part.text };
      const expr = part.expr!;
      // Find the expression in the raw YAML so ranges survive quoting and block scalars;
      // search after its `{{`, so that text before it which reads the same is not taken for it.
      const open = raw.indexOf('{{', searchFrom);
      const at = raw.indexOf(expr.source, open === -1 ? searchFrom : open + 2);
      let exprRange = range;
      if (at !== -1) {
        searchFrom = at + expr.source.length;
        exprRange = this.source.range(range.offset + at, range.offset + at + expr.source.length);
      }
      return { expr: { source: expr.source, range: exprRange } };
    });
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

  /** The range of `inner` inside a scalar whose value is `value`. */
  private locate(node: Node, value: string, inner: string): SourceRange {
    const index = value.indexOf(inner);
    return this.locateOffset(node, value, Math.max(0, index), inner.length);
  }

  private locateOffset(node: Node, value: string, offset: number, length: number): SourceRange {
    const range = this.range(node);
    const raw = this.source.text.slice(range.offset, range.endOffset);
    const needle = value.slice(offset, offset + Math.max(length, 1));
    // The n-th occurrence in the value is the n-th in the raw text: quoting changes escapes, not `{{`.
    let nth = 0;
    for (let i = value.indexOf(needle); needle && i !== -1 && i < offset; i = value.indexOf(needle, i + 1)) nth++;
    let at = raw.indexOf(needle);
    while (at !== -1 && nth-- > 0) at = raw.indexOf(needle, at + 1);
    return at === -1 ? range : this.source.range(range.offset + at, range.offset + at + length);
  }

  private problem(range: SourceRange, code: ProblemCode, message: string, stepId?: string): void {
    this.problems.push({ file: this.file, range, code, severity: 'error', message, stepId });
  }
}

function fileTitle(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.workflow\.ya?ml$|\.ya?ml$/, '');
}
