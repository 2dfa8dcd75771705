/**
 * Reads a workflow file's `tests:` from its YAML document, with a located problem
 * (file:line:col, a stable `test-*` code) for everything that cannot be a test case.
 * The workflow, when it could be built, is what names are checked against.
 */
import Ajv from 'ajv';
import { isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { parseDuration } from '../duration';
import { setEntry, splitTemplate } from '../expressions';
import { patternProblem } from '../expressions/regex';
import { nodeRange, YAML_OPTIONS } from '../load';
import { SourceMap } from '../source';
import { didYouMean } from '../suggest';
import type { ModelSettings, SourceRange, Template, TemplateValue, Workflow } from '../types';
import { expectationSyntaxError } from './cel';
import { labelOf } from './labels';
import { readToolsExpectation } from './parse-tools';
import type { DatasetCase, Expectation, ExpectationSpec, Subject, TestEntry, TestProblem, TestProblemCode, TestSuite } from './types';

const ENTRY_KEYS = ['name', 'description', 'inputs', 'rows', 'columns', 'mock', 'expect'];
const KIND_KEYS = ['equals', 'contains', 'matches', 'schema', 'cel', 'status', 'path', 'tools', 'budget', 'judge'] as const;
const SUBJECT_KEYS = ['output', 'step', 'field'];
const KIND_EXTRA: Partial<Record<(typeof KIND_KEYS)[number], string[]>> = { judge: ['threshold', 'model', 'mock'] };
const SUBJECTLESS = new Set(['cel', 'status', 'path', 'tools', 'budget']);
const DEFAULT_THRESHOLD = 0.7;

/** Parses `tests:` of a workflow file's text. Never throws. */
export function parseTests(text: string, file: string, workflow?: Workflow): TestSuite {
  const doc = parseDocument(text, YAML_OPTIONS);
  const suite: TestSuite = { file, entries: [], problems: [] };
  // YAML errors and a file that is not a mapping are the loader's to report.
  if (doc.errors.length > 0 || !isMap(doc.contents)) return suite;
  const tests = valueOf(doc.contents, 'tests');
  if (tests === undefined) return suite;
  const reader = new TestReader(new SourceMap(text), file, workflow, suite.problems);
  if (!isSeq(tests)) {
    reader.problem(tests, 'test-shape', '`tests:` is a list of test cases, each with `name:`, `inputs:` and `expect:` (see docs/evaluation.md)');
    return suite;
  }
  const names = new Set<string>();
  for (const item of tests.items) {
    const entry = reader.entry(item as Node);
    if (!entry) continue;
    if (names.has(entry.name)) {
      reader.problemAt(entry.range, 'test-duplicate-name', `there is already a test named \`${entry.name}\`; give each test its own name`);
      continue;
    }
    names.add(entry.name);
    suite.entries.push(entry);
  }
  suite.problems.sort((a, b) => a.range.offset - b.range.offset || a.code.localeCompare(b.code));
  return suite;
}

function valueOf(map: YAMLMap, key: string): Node | undefined {
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
  return pair ? ((pair.value as Node | null) ?? (pair.key as Node)) : undefined;
}

class TestReader {
  constructor(
    private readonly source: SourceMap,
    private readonly file: string,
    private readonly workflow: Workflow | undefined,
    private readonly problems: TestProblem[],
  ) {}

  entry(node: Node): TestEntry | undefined {
    if (!isMap(node)) {
      this.problem(node, 'test-shape', 'a test case is a mapping with `name:`, `inputs:` and `expect:`');
      return undefined;
    }
    this.knownKeys(node, ENTRY_KEYS, 'a test case');
    const nameNode = valueOf(node, 'name');
    const name = isScalar(nameNode) && typeof nameNode.value === 'string' && nameNode.value.trim() !== '' ? nameNode.value : undefined;
    if (!name) {
      this.problem(nameNode ?? node, 'test-shape', 'give the test case a `name:` (text), so results and the Test Explorer can show it');
      return undefined;
    }
    const range = this.range(nameNode);
    const mocks = this.mocks(valueOf(node, 'mock'));
    const expect = this.expectations(valueOf(node, 'expect'));
    const rowsNode = valueOf(node, 'rows');
    const inputsNode = valueOf(node, 'inputs');
    if (rowsNode !== undefined || valueOf(node, 'columns') !== undefined) {
      if (inputsNode !== undefined) this.problem(inputsNode, 'test-shape', 'a test case has either `inputs:` (one run) or `rows:` (a run per row of a dataset), not both');
      const dataset: DatasetCase = { kind: 'dataset', name, columns: this.columns(valueOf(node, 'columns')), mocks, expect, range };
      if (rowsNode !== undefined) {
        if (isScalar(rowsNode) && typeof rowsNode.value === 'string' && rowsNode.value !== '') dataset.rows = rowsNode.value;
        else this.problem(rowsNode, 'test-shape', '`rows:` is the path of a .jsonl, .csv or .yaml file of rows, relative to this workflow file');
      }
      return dataset;
    }
    return { kind: 'case', name, inputs: this.inputs(inputsNode), mocks, expect, range };
  }

  private inputs(node: Node | undefined): Record<string, unknown> {
    return this.namedEntries(node, '`inputs:` maps input names to values, e.g. `inputs: { topic: tea }`', (name, pair) =>
      this.checkInput(name, pair.key as Node) ? ((pair.value as Node | null)?.toJSON() ?? null) : undefined,
    );
  }

  private columns(node: Node | undefined): Record<string, string> {
    return this.namedEntries(node, "`columns:` maps input names to the dataset's column names, e.g. `columns: { message: text }`", (name, pair) => {
      if (!this.checkInput(name, pair.key as Node)) return undefined;
      const column = pair.value as Node | null;
      if (isScalar(column) && (typeof column.value === 'string' || typeof column.value === 'number')) return String(column.value);
      this.problem(column ?? (pair.key as Node), 'test-shape', `the column for input \`${name}\` is a column name (text)`);
      return undefined;
    });
  }

  /**
   * A mapping keyed by names (inputs, columns, step ids): each entry's value from `each`,
   * which reports what is wrong with it and gives undefined to leave it out. Keys such as
   * `__proto__` and `constructor` are kept as data.
   */
  private namedEntries<T>(node: Node | undefined, shape: string, each: (name: string, pair: Pair) => T | undefined): Record<string, T> {
    const entries = Object.create(null) as Record<string, T>;
    if (node === undefined) return entries;
    if (!isMap(node)) {
      this.problem(node, 'test-shape', shape);
      return entries;
    }
    for (const pair of node.items) {
      const name = this.key(pair);
      if (name === undefined) continue;
      const value = each(name, pair as Pair);
      if (value !== undefined) setEntry(entries, name, value);
    }
    return { ...entries };
  }

  private checkInput(name: string, at: Node): boolean {
    const workflow = this.workflow;
    if (!workflow) return true;
    const known = [...workflow.inputs.map((input) => input.name), ...[...workflow.stepsById.values()].filter((s) => s.kind === 'input').map((s) => s.id)];
    if (known.includes(name)) return true;
    this.problem(at, 'test-unknown-input', `the workflow has no input \`${name}\`${didYouMean(name, known)}`);
    return false;
  }

  private mocks(node: Node | undefined): Record<string, TemplateValue> {
    return this.namedEntries(node, '`mock:` maps step ids to the reply each step gives in this test, e.g. `mock: { classify: { category: billing } }`', (id, pair) =>
      this.checkStep(id, pair.key as Node, true) ? this.templateValue(pair.value as Node | null) : undefined,
    );
  }

  private checkStep(id: string, at: Node, promptOnly = false): boolean {
    const workflow = this.workflow;
    // Steps of a sub-workflow (`review/draft`) are not known until it runs.
    if (!workflow || (!promptOnly && id.includes('/'))) return true;
    const step = workflow.stepsById.get(id);
    if (step && (!promptOnly || step.kind === 'prompt')) return true;
    if (step) this.problem(at, 'test-unknown-step', `step \`${id}\` makes no model call, so it has no reply to mock; mock the prompt steps it reads from`);
    else this.problem(at, 'test-unknown-step', `there is no step \`${id}\`${didYouMean(id, [...workflow.stepsById.keys()])}`);
    return false;
  }

  private expectations(node: Node | undefined): Expectation[] {
    if (node === undefined) return [];
    const items = isSeq(node) ? node.items : [node];
    const out: Expectation[] = [];
    for (const item of items) {
      const expectation = this.expectation(item as Node);
      if (expectation) out.push(expectation);
    }
    return out;
  }

  private expectation(node: Node): Expectation | undefined {
    if (!isMap(node)) {
      this.problem(node, 'test-shape', `an expectation is a mapping with one of ${KIND_KEYS.map((k) => `\`${k}:\``).join(', ')}`);
      return undefined;
    }
    const kinds = KIND_KEYS.filter((key) => valueOf(node, key) !== undefined);
    if (kinds.length !== 1) {
      const message = kinds.length === 0 ? `say what to expect: one of ${KIND_KEYS.map((k) => `\`${k}:\``).join(', ')}` : `one expectation checks one thing; split \`${kinds[0]}:\` and \`${kinds[1]}:\` into two list items`;
      this.knownKeys(node, [...KIND_KEYS, ...SUBJECT_KEYS, 'threshold', 'model', 'mock'], 'an expectation');
      this.problem(kinds.length === 0 ? node : this.keyNode(node, kinds[1])!, 'test-shape', message);
      return undefined;
    }
    const kind = kinds[0];
    this.knownKeys(node, [kind, ...(SUBJECTLESS.has(kind) ? [] : SUBJECT_KEYS), ...(KIND_EXTRA[kind] ?? [])], `a \`${kind}:\` expectation`);
    const keyNode = this.keyNode(node, kind)!;
    const value = valueOf(node, kind)!;
    const range = this.range(keyNode);
    const subject = SUBJECTLESS.has(kind) ? undefined : this.subject(node);
    if (!SUBJECTLESS.has(kind) && !subject) return undefined;
    const spec = this.spec(kind, value, subject!, node);
    if (!spec) return undefined;
    return { ...spec, label: labelOf(spec), range } as Expectation;
  }

  private spec(kind: (typeof KIND_KEYS)[number], value: Node, subject: Subject, node: YAMLMap): ExpectationSpec | undefined {
    const plain = value.toJSON() as unknown;
    switch (kind) {
      case 'equals':
        return { kind, subject, value: plain };
      case 'contains':
        if (typeof plain === 'string' || typeof plain === 'number') return { kind, subject, value: String(plain) };
        return this.fail(value, 'test-shape', '`contains:` is the text the value must contain');
      case 'matches': {
        if (typeof plain !== 'string') return this.fail(value, 'test-shape', '`matches:` is a regular expression (RE2 syntax, as CEL `matches`), e.g. `"(?i)refund"`');
        const problem = patternProblem(plain);
        if (problem) return this.fail(value, 'test-regex', problem);
        return { kind, subject, pattern: plain };
      }
      case 'schema': {
        if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) return this.fail(value, 'test-shape', '`schema:` is a JSON Schema (a mapping such as `{ type: object, required: [title] }`)');
        try {
          new Ajv({ strict: false }).compile(plain);
        } catch (error) {
          const at = /data(\/[^ ]*)/.exec((error as Error).message)?.[1]?.slice(1).replace(/\//g, '.');
          return this.fail(value, 'test-schema', `this is not a valid JSON Schema${at ? `: check \`${at}\`` : ''} (see json-schema.org for the keywords)`);
        }
        return { kind, subject, schema: plain as Record<string, unknown> };
      }
      case 'cel': {
        if (typeof plain !== 'string' && typeof plain !== 'boolean') return this.fail(value, 'test-shape', '`cel:` is an expression over `outputs`, `steps`, `usage`, `cost`, `calls`, `tools`, `path`, `inputs`, `run` and `row`, e.g. `outputs.score > 3`');
        const source = String(plain).trim().replace(/^\{\{([\s\S]*)\}\}$/, '$1').trim();
        const error = expectationSyntaxError(source);
        if (error) return this.fail(value, 'test-expression', `\`${source}\` cannot be checked: ${error} (names: outputs, steps, usage, cost, calls, tools, path, inputs, run, row)`);
        return { kind, expr: { source, range: this.range(value) } };
      }
      case 'status':
        if (plain === 'succeeded' || plain === 'failed') return { kind, status: plain };
        return this.fail(value, 'test-shape', '`status:` is `succeeded` or `failed`: how the run must end');
      case 'path':
        return this.path(value);
      case 'tools':
        return readToolsExpectation(value, { workflow: this.workflow, problem: (n, code, message) => this.problem(n, code, message), range: (n) => this.range(n), knownKeys: (map, allowed, what) => this.knownKeys(map, allowed, what), key: (pair) => this.key(pair) });
      case 'budget':
        return this.budget(value);
      case 'judge': {
        if (typeof plain !== 'string' || plain.trim() === '') return this.fail(value, 'test-shape', '`judge:` is the rubric a judge model grades the value against, in words');
        const thresholdNode = valueOf(node, 'threshold');
        const threshold = thresholdNode === undefined ? DEFAULT_THRESHOLD : thresholdNode.toJSON();
        if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) return this.fail(thresholdNode!, 'test-threshold', '`threshold:` is the lowest passing score, from 0 to 1 (default 0.7)');
        const modelNode = valueOf(node, 'model');
        const model = modelNode?.toJSON() as unknown;
        if (model !== undefined && (typeof model !== 'object' || model === null || Array.isArray(model))) return this.fail(modelNode!, 'test-shape', 'the judge\'s `model:` is like a step\'s: `{ provider: openai, name: gpt-4o-mini }`');
        const spec: ExpectationSpec = { kind, subject, rubric: plain, threshold };
        if (model) spec.model = model as ModelSettings;
        const mockNode = valueOf(node, 'mock');
        if (mockNode !== undefined) spec.mock = mockNode.toJSON();
        return spec;
      }
    }
  }

  private path(value: Node): ExpectationSpec | undefined {
    const ids = (node: Node | undefined, what: string): string[] | undefined => {
      if (node === undefined) return undefined;
      if (!isSeq(node) || !node.items.every((item) => isScalar(item) && typeof item.value === 'string')) {
        this.problem(node, 'test-shape', `${what} is a list of step ids, e.g. \`[classify, billing]\``);
        return undefined;
      }
      return (node.items as Node[]).filter((item) => this.checkStep(String((item as { value: string }).value), item)).map((item) => String((item as { value: string }).value));
    };
    if (isSeq(value)) return { kind: 'path', exact: ids(value, '`path:`') ?? [] };
    if (!isMap(value)) return this.fail(value, 'test-shape', '`path:` is the list of steps the run takes, in order, or `{ includes: [...], excludes: [...], visits: { step: 2 } }`');
    this.knownKeys(value, ['includes', 'excludes', 'visits'], '`path:`');
    const spec: ExpectationSpec = { kind: 'path' };
    const includes = ids(valueOf(value, 'includes'), '`includes:`');
    const excludes = ids(valueOf(value, 'excludes'), '`excludes:`');
    if (includes) spec.includes = includes;
    if (excludes) spec.excludes = excludes;
    const visitsNode = valueOf(value, 'visits');
    if (visitsNode !== undefined) {
      if (!isMap(visitsNode)) return this.fail(visitsNode, 'test-shape', '`visits:` maps step ids to how many times each runs, e.g. `{ code: 2 }`');
      const visits = Object.create(null) as Record<string, number>;
      for (const pair of visitsNode.items) {
        const id = this.key(pair);
        if (id === undefined || !this.checkStep(id, pair.key as Node)) continue;
        const count = (pair.value as Node | null)?.toJSON();
        if (typeof count === 'number' && Number.isSafeInteger(count) && count >= 0) setEntry(visits, id, count);
        else this.problem((pair.value as Node | null) ?? (pair.key as Node), 'test-shape', `the visits of \`${id}\` are a whole number (0 or more)`);
      }
      spec.visits = { ...visits };
    }
    return spec;
  }

  private budget(value: Node): ExpectationSpec | undefined {
    if (!isMap(value)) return this.fail(value, 'test-budget', '`budget:` is `{ latency: 10s, tokens: 2000, cost: 0.05 }` (any of them)');
    this.knownKeys(value, ['latency', 'tokens', 'cost'], '`budget:`');
    const spec: ExpectationSpec = { kind: 'budget' };
    const latency = valueOf(value, 'latency');
    if (latency !== undefined) {
      const ms = parseDuration(latency.toJSON());
      if (ms === undefined) return this.fail(latency, 'test-budget', '`latency:` is a duration such as `10s`, `2m` or `500ms`');
      spec.latencyMs = ms;
    }
    const tokens = valueOf(value, 'tokens')?.toJSON() as unknown;
    if (tokens !== undefined) {
      if (typeof tokens !== 'number' || !Number.isSafeInteger(tokens) || tokens < 0) return this.fail(valueOf(value, 'tokens')!, 'test-budget', '`tokens:` is a whole number of tokens (prompt and completion)');
      spec.tokens = tokens;
    }
    const cost = valueOf(value, 'cost')?.toJSON() as unknown;
    if (cost !== undefined) {
      if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) return this.fail(valueOf(value, 'cost')!, 'test-budget', '`cost:` is a number of dollars, e.g. `0.05`');
      spec.costUsd = cost;
    }
    return spec;
  }

  private subject(node: YAMLMap): Subject | undefined {
    const output = valueOf(node, 'output');
    const step = valueOf(node, 'step');
    const field = valueOf(node, 'field');
    const subject: Subject = { kind: 'outputs' };
    if (output !== undefined && step !== undefined) {
      this.problem(step, 'test-shape', 'an expectation looks at one value: `output:` or `step:`, not both');
      return undefined;
    }
    const text = (n: Node) => (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number') ? String(n.value) : undefined);
    if (output !== undefined) {
      const name = text(output);
      if (name === undefined) return this.fail(output, 'test-shape', '`output:` names one of the workflow\'s `outputs:`');
      const known = this.workflow ? Object.keys(this.workflow.outputs) : undefined;
      if (known && !Object.hasOwn(this.workflow!.outputs, name)) return this.fail(output, 'test-unknown-output', `the workflow has no output \`${name}\`${didYouMean(name, known)}`);
      subject.kind = 'output';
      subject.name = name;
    } else if (step !== undefined) {
      const id = text(step);
      if (id === undefined) return this.fail(step, 'test-shape', '`step:` names the step whose output to check');
      if (!this.checkStep(id, step)) return undefined;
      subject.kind = 'step';
      subject.name = id;
    }
    if (field !== undefined) {
      const path = text(field);
      if (path === undefined || path.split('.').some((part) => part === '')) return this.fail(field, 'test-shape', '`field:` is a dotted path inside the value, e.g. `summary.title`');
      subject.field = path.split('.');
    }
    return subject;
  }

  private templateValue(node: Node | null): TemplateValue {
    if (isSeq(node)) return { kind: 'list', items: node.items.map((item) => this.templateValue(item as Node)) };
    if (isMap(node)) {
      const entries: Record<string, TemplateValue> = {};
      for (const pair of node.items) {
        const key = this.key(pair);
        if (key !== undefined) setEntry(entries, key, this.templateValue(pair.value as Node | null));
      }
      return { kind: 'object', entries };
    }
    const value = node?.toJSON() as unknown;
    if (typeof value === 'string' && value.includes('{{')) return { kind: 'template', template: this.template(value, node!) };
    return { kind: 'literal', value: value ?? null };
  }

  private template(source: string, node: Node): Template {
    const range = this.range(node);
    const split = splitTemplate(source);
    if (split.error) {
      this.problemAt(range, 'test-expression', split.error.message);
      return { source, parts: [{ text: source }], range };
    }
    return { source, range, parts: split.parts.map((part) => (part.text !== undefined ? { text: part.text } : { expr: { source: part.expr!.source, range } })) };
  }

  private knownKeys(map: YAMLMap, allowed: readonly string[], what: string): void {
    for (const pair of map.items) {
      const key = this.key(pair);
      if (key !== undefined && !allowed.includes(key)) this.problem(pair.key as Node, 'test-unknown-key', `${what} has no key \`${key}\`${didYouMean(key, [...allowed])}`);
    }
  }

  private keyNode(map: YAMLMap, key: string): Node | undefined {
    return map.items.find((item) => isScalar(item.key) && item.key.value === key)?.key as Node | undefined;
  }

  private key(pair: Pair): string | undefined {
    if (isScalar(pair.key) && (typeof pair.key.value === 'string' || typeof pair.key.value === 'number')) return String(pair.key.value);
    this.problem((pair.key as Node | null) ?? (pair.value as Node), 'test-shape', 'a key here is a plain name');
    return undefined;
  }

  private fail(node: Node, code: TestProblemCode, message: string): undefined {
    this.problem(node, code, message);
    return undefined;
  }

  problem(node: Node | null | undefined, code: TestProblemCode, message: string): void {
    this.problemAt(this.range(node), code, message);
  }

  problemAt(range: SourceRange, code: TestProblemCode, message: string): void {
    this.problems.push({ file: this.file, range, code, severity: 'error', message });
  }

  private range(node: Node | null | undefined): SourceRange {
    return nodeRange(node, this.source);
  }
}
