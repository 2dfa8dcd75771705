/**
 * Checks a `tools:` expectation against the tool calls a run made: the expected calls
 * (exactly, in order with others between, or in any order), the tools never to call,
 * and how many calls there may be. A failure names the call that differed and how:
 * `call 2 was files.read_text_file {"path":"b.txt"}: \`path\` is "b.txt", expected "a.txt"`.
 */
import { toCel } from '../expressions';
import { ToolPattern } from '../tools/patterns';
import { evaluateExpectation, renderExpected, toolCallValue, type ExpectationScope } from './cel';
import type { ToolCallFact } from './facts';
import { matchesName } from './parse-tools';
import type { ExpectedToolCall, ToolCallCount, ToolsExpectationSpec } from './types';

export interface TrajectoryOutcome {
  passed: boolean;
  message?: string;
  expected?: string;
  actual?: string;
}

interface Prepared {
  call: ExpectedToolCall;
  pattern: ToolPattern;
  /** `args` with its `{{ }}` rendered against the run and the row. */
  args?: unknown;
}

/** Throws only when an expected argument's template cannot be rendered (the caller words it). */
export function checkTrajectory(spec: ToolsExpectationSpec, calls: readonly ToolCallFact[], scope: ExpectationScope): TrajectoryOutcome {
  const expected = (spec.calls ?? []).map((call): Prepared => ({ call, pattern: ToolPattern.parse(call.name), ...(call.args !== undefined ? { args: renderArgs(call.args, scope) } : {}) }));
  const problems: string[] = [];
  if (spec.calls) {
    const verdict = new Matcher(expected, calls, scope);
    const problem = spec.order === 'exact' ? verdict.exact() : spec.order === 'in-order' ? verdict.inOrder() : verdict.anyOrder();
    if (problem) problems.push(problem);
  }
  for (const never of spec.never ?? []) {
    const pattern = ToolPattern.parse(never);
    const made = calls.map((call, i) => [call, i] as const).filter(([call]) => matchesName(pattern, call.name));
    if (made.length > 0) {
      const [first, at] = made[0];
      problems.push(`${never.includes('*') ? `a tool of \`${never}\`` : `\`${never}\``} was called ${times(made.length)} (first: call ${at + 1}, ${describeCall(first)}), expected never`);
    }
  }
  if (spec.max !== undefined && calls.length > spec.max) problems.push(`the run made ${calls.length} tool calls, at most ${spec.max} allowed`);
  for (const count of spec.counts ?? []) {
    const problem = countProblem(count, calls);
    if (problem) problems.push(problem);
  }
  if (problems.length === 0) return { passed: true };
  const outcome: TrajectoryOutcome = { passed: false, message: problems.join('; ') };
  if (spec.calls) {
    outcome.expected = expected.map(describeExpected).join('\n');
    outcome.actual = calls.map(describeCall).join('\n');
  }
  return outcome;
}

class Matcher {
  constructor(
    private readonly expected: readonly Prepared[],
    private readonly calls: readonly ToolCallFact[],
    private readonly scope: ExpectationScope,
  ) {}

  /** Why `call` is not the expected one; undefined when it is. */
  private why(expected: Prepared, call: ToolCallFact): string | undefined {
    if (!matchesName(expected.pattern, call.name)) return `it called \`${call.name}\``;
    if (expected.args !== undefined) {
      if (call.argsTruncated) return 'its arguments were too large to record whole, so they cannot be compared';
      const differences = argumentDifferences(expected.args, call.args);
      if (differences.length > 0) return differences.join(', ');
    }
    const where = expected.call.where;
    if (where) {
      let value: unknown;
      try {
        value = evaluateExpectation(where, { ...this.scope, call: toCel(toolCallValue(call)) }, 'call');
      } catch (error) {
        return (error as Error).message;
      }
      if (value !== true) return value === false ? `\`${where.source}\` is false for it` : `\`${where.source}\` gave ${shown(value)}, not true or false`;
    }
    return undefined;
  }

  exact(): string | undefined {
    const { expected, calls } = this;
    for (let i = 0; i < Math.max(expected.length, calls.length); i++) {
      if (i >= calls.length) return `expected call ${i + 1}, ${describeExpected(expected[i])}, was never made (the run made ${countOf(calls.length)}${calls.length > 0 ? `: ${route(calls)}` : ''})`;
      if (i >= expected.length) return `call ${i + 1}, ${describeCall(calls[i])}, was not expected (expected ${countOf(expected.length)}${expected.length > 0 ? `, the last ${describeExpected(expected[expected.length - 1])}` : ''})`;
      const why = this.why(expected[i], calls[i]);
      if (why !== undefined) return `call ${i + 1} was ${describeCall(calls[i])}: ${why}; expected ${describeExpected(expected[i])}`;
    }
    return undefined;
  }

  /** Greedy: each expected call takes the first fitting call after the previous one's, which finds a fit whenever one exists. */
  inOrder(): string | undefined {
    let from = 0;
    for (let j = 0; j < this.expected.length; j++) {
      const expected = this.expected[j];
      let at = -1;
      for (let k = from; k < this.calls.length; k++) {
        if (this.why(expected, this.calls[k]) === undefined) {
          at = k;
          break;
        }
      }
      if (at < 0) {
        const after = j === 0 ? '' : ` after call ${from} (${describeCall(this.calls[from - 1])}, which matched expected call ${j})`;
        return `expected call ${j + 1}, ${describeExpected(expected)}, was not made${after}${this.closest(expected, from)}`;
      }
      from = at + 1;
    }
    return undefined;
  }

  /** Each expected call needs a call of its own: a bipartite matching (Kuhn's augmenting paths), since loose predicates overlap. */
  anyOrder(): string | undefined {
    const fits = this.expected.map((expected) => this.calls.map((call) => this.why(expected, call) === undefined));
    const owner = new Array<number>(this.calls.length).fill(-1);
    const augment = (j: number, seen: boolean[]): boolean => {
      for (let k = 0; k < this.calls.length; k++) {
        if (!fits[j][k] || seen[k]) continue;
        seen[k] = true;
        if (owner[k] < 0 || augment(owner[k], seen)) {
          owner[k] = j;
          return true;
        }
      }
      return false;
    };
    for (let j = 0; j < this.expected.length; j++) {
      if (augment(j, new Array<boolean>(this.calls.length).fill(false))) continue;
      const expected = this.expected[j];
      const fitting = fits[j].map((fit, k) => (fit ? k : -1)).filter((k) => k >= 0);
      if (fitting.length > 0) {
        const alike = this.expected.filter((_, i) => i <= j && fits[i].some((fit, k) => fit && fitting.includes(k))).length;
        return `expected call ${j + 1}, ${describeExpected(expected)}, has no call of its own: ${fitting.length === 1 ? 'the one call that fits it' : `the ${fitting.length} calls that fit it`} (${fitting.map((k) => `call ${k + 1}`).join(', ')}) also fit other expected calls, and ${alike} expected calls need them`;
      }
      return `expected call ${j + 1}, ${describeExpected(expected)}, was not made${this.closest(expected, 0)}`;
    }
    return undefined;
  }

  /** The nearest miss from `from` on: the first call of a fitting tool, and why it is not it. */
  private closest(expected: Prepared, from: number): string {
    for (let k = from; k < this.calls.length; k++) {
      if (matchesName(expected.pattern, this.calls[k].name)) return `; call ${k + 1}, ${describeCall(this.calls[k])}, differs: ${this.why(expected, this.calls[k])}`;
    }
    const earlier = this.calls.findIndex((call) => matchesName(expected.pattern, call.name));
    if (earlier >= 0 && earlier < from) return `; \`${this.calls[earlier].name}\` was called only before that (call ${earlier + 1})`;
    return this.calls.length === 0 ? '; the run made no tool call' : `; the run called ${route(this.calls)}`;
  }
}

function countProblem(count: ToolCallCount, calls: readonly ToolCallFact[]): string | undefined {
  const pattern = ToolPattern.parse(count.name);
  const made = calls.filter((call) => matchesName(pattern, call.name)).length;
  const tooFew = count.min !== undefined && made < count.min;
  const tooMany = count.max !== undefined && made > count.max;
  if (!tooFew && !tooMany) return undefined;
  const bound = count.min === count.max ? `exactly ${count.min}` : tooFew ? `at least ${count.min}` : `at most ${count.max}`;
  return `${count.name.includes('*') ? `tools of \`${count.name}\` were` : `\`${count.name}\` was`} called ${times(made)}, expected ${bound}`;
}

/**
 * How actual arguments differ from the expected ones, by dotted path, at most three:
 * `` `path` is "b.txt", expected "a.txt" ``, `` no `mode` ``, `` an extra `force` ``.
 */
export function argumentDifferences(expected: unknown, actual: unknown, at = ''): string[] {
  const out: string[] = [];
  const walk = (e: unknown, a: unknown, path: string): void => {
    if (out.length >= 3) return;
    const where = path === '' ? 'the arguments' : `\`${path}\``;
    if (isPlainObject(e) && isPlainObject(a)) {
      for (const key of Object.keys(e)) {
        const child = path === '' ? key : `${path}.${key}`;
        if (!Object.hasOwn(a, key)) out.push(`no \`${child}\``);
        else walk(e[key], a[key], child);
        if (out.length >= 3) return;
      }
      for (const key of Object.keys(a)) {
        if (!Object.hasOwn(e, key)) out.push(`an extra \`${path === '' ? key : `${path}.${key}`}\``);
        if (out.length >= 3) return;
      }
      return;
    }
    if (Array.isArray(e) && Array.isArray(a) && e.length === a.length) {
      e.forEach((item, i) => walk(item, a[i], `${path}[${i}]`));
      return;
    }
    if (!sameJson(e, a)) out.push(`${where} ${Array.isArray(e) && Array.isArray(a) ? `has ${a.length} items` : `is ${shown(a)}`}, expected ${Array.isArray(e) && Array.isArray(a) ? `${e.length}` : shown(e)}`);
  };
  walk(expected, actual, at);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key], b[key]));
  }
  return false;
}

/** Expected arguments with their `{{ }}` strings rendered, at any depth; keys are data (`__proto__` too). */
function renderArgs(value: unknown, scope: ExpectationScope): unknown {
  if (typeof value === 'string') return renderExpected(value, scope);
  if (Array.isArray(value)) return value.map((item) => renderArgs(item, scope));
  if (!isPlainObject(value)) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) Object.defineProperty(out, key, { value: renderArgs(value[key], scope), enumerable: true, writable: true, configurable: true });
  return out;
}

export function describeCall(call: ToolCallFact): string {
  const args = call.argsTruncated ? `${String(call.args).slice(0, 60)}…` : shown(call.args);
  return `${call.name} ${args}${call.status === 'succeeded' ? '' : ` (${call.status})`}`;
}

function describeExpected(expected: Prepared): string {
  const parts = [expected.call.name];
  if (expected.args !== undefined) parts.push(`with ${shown(expected.args)}`);
  if (expected.call.where) parts.push(`where ${expected.call.where.source}`);
  return parts.join(' ');
}

function route(calls: readonly ToolCallFact[]): string {
  const names = calls.slice(0, 8).map((call) => call.name);
  return `${names.join(' → ')}${calls.length > 8 ? ` → … (${calls.length} in all)` : ''}`;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}

function countOf(n: number): string {
  return n === 1 ? '1 tool call' : `${n} tool calls`;
}
