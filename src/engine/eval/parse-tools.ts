/**
 * Reads a `tools:` expectation (the tool-call trajectory) from its YAML node, with a
 * located problem for each mistake: a name that is no tool pattern, a server the
 * workflow does not name under `mcp:`, a `where:` that is not CEL over `call`, counts
 * that are not whole numbers, and expectations that contradict each other.
 */
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { splitTemplate } from '../expressions';
import { didYouMean } from '../suggest';
import { ToolPattern, splitQualifiedName } from '../tools/patterns';
import type { SourceRange, Workflow } from '../types';
import { expectationSyntaxError } from './cel';
import { TOOL_CALL_ORDERS, type ExpectedToolCall, type TestProblemCode, type ToolCallCount, type ToolCallOrder, type ToolsExpectationSpec } from './types';

/** What the `tests:` reader lends this one. */
export interface ToolsReaderPort {
  workflow: Workflow | undefined;
  problem(node: Node | null | undefined, code: TestProblemCode, message: string): void;
  range(node: Node | null | undefined): SourceRange;
  knownKeys(map: YAMLMap, allowed: readonly string[], what: string): void;
  key(pair: Pair): string | undefined;
}

const SHAPE = '`tools:` is the list of tool calls the run makes, in order (`[files.list_directory, files.read_text_file]`), or `{ calls: [...], order: in-order, never: [...], max: 5, counts: { files.read_text_file: 2 } }`';
const CALL_SHAPE = 'an expected call is a tool name (`files.read_text_file`) or `{ tool: files.read_text_file, args: { path: a.txt }, where: \'call.args.path.endsWith(".txt")\' }`';
const CALL_KEYS = ['tool', 'args', 'where'];
const KEYS = ['calls', 'order', 'never', 'max', 'counts'];

export function readToolsExpectation(value: Node, port: ToolsReaderPort): ToolsExpectationSpec | undefined {
  const reader = new ToolsReader(port);
  if (isSeq(value)) {
    const calls = reader.calls(value);
    return calls && { kind: 'tools', calls, order: 'exact' };
  }
  if (!isMap(value)) {
    port.problem(value, 'test-shape', SHAPE);
    return undefined;
  }
  port.knownKeys(value, KEYS, '`tools:`');
  const spec: ToolsExpectationSpec = { kind: 'tools', order: 'in-order' };
  const callsNode = valueOf(value, 'calls');
  if (callsNode !== undefined) {
    if (!isSeq(callsNode)) return reader.fail(callsNode, 'test-shape', '`calls:` is a list of expected calls, e.g. `[files.list_directory, { tool: files.read_text_file, args: { path: a.txt } }]`');
    const calls = reader.calls(callsNode);
    if (!calls) return undefined;
    spec.calls = calls;
  }
  const orderNode = valueOf(value, 'order');
  if (orderNode !== undefined) {
    const order = orderNode.toJSON() as unknown;
    if (!(TOOL_CALL_ORDERS as readonly unknown[]).includes(order)) return reader.fail(orderNode, 'test-shape', '`order:` is `exact` (these calls and no others, in order), `in-order` (in this order, others may come between) or `any` (each made, in any order)');
    spec.order = order as ToolCallOrder;
  }
  const neverNode = valueOf(value, 'never');
  if (neverNode !== undefined) {
    const never = reader.names(neverNode, '`never:`');
    if (!never) return undefined;
    spec.never = never;
  }
  const maxNode = valueOf(value, 'max');
  if (maxNode !== undefined) {
    const max = reader.count(maxNode, '`max:` is the most tool calls the run may make, a whole number (0 or more)');
    if (max === undefined) return undefined;
    spec.max = max;
  }
  const countsNode = valueOf(value, 'counts');
  if (countsNode !== undefined) {
    const counts = reader.counts(countsNode);
    if (!counts) return undefined;
    spec.counts = counts;
  }
  if (!spec.calls && !spec.never && spec.max === undefined && !spec.counts) return reader.fail(value, 'test-shape', `say what to expect of the tool calls: ${SHAPE}`);
  return reader.conflicts(spec, value) ? undefined : spec;
}

function valueOf(map: YAMLMap, key: string): Node | undefined {
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
  return pair ? ((pair.value as Node | null) ?? (pair.key as Node)) : undefined;
}

class ToolsReader {
  /** Where each name was written, for problems found after reading. */
  private readonly nodes = new Map<object, Node>();

  constructor(private readonly port: ToolsReaderPort) {}

  fail(node: Node, code: TestProblemCode, message: string): undefined {
    this.port.problem(node, code, message);
    return undefined;
  }

  calls(list: Node & { items: unknown[] }): ExpectedToolCall[] | undefined {
    const calls: ExpectedToolCall[] = [];
    let ok = true;
    for (const item of list.items as Node[]) {
      const call = this.call(item);
      if (call) calls.push(call);
      else ok = false;
    }
    return ok ? calls : undefined;
  }

  private call(node: Node): ExpectedToolCall | undefined {
    if (isScalar(node)) {
      const name = this.name(node);
      return name === undefined ? undefined : this.remember({ name }, node);
    }
    if (!isMap(node)) return this.fail(node, 'test-shape', CALL_SHAPE);
    this.port.knownKeys(node, CALL_KEYS, 'an expected tool call');
    const toolNode = valueOf(node, 'tool');
    if (toolNode === undefined) return this.fail(node, 'test-shape', `name the tool: ${CALL_SHAPE}`);
    const name = this.name(toolNode);
    if (name === undefined) return undefined;
    const call: ExpectedToolCall = { name };
    const argsNode = valueOf(node, 'args');
    if (argsNode !== undefined) {
      if (!this.templatesIn(argsNode)) return undefined;
      call.args = argsNode.toJSON();
    }
    const whereNode = valueOf(node, 'where');
    if (whereNode !== undefined) {
      const plain = whereNode.toJSON() as unknown;
      if (typeof plain !== 'string' && typeof plain !== 'boolean') return this.fail(whereNode, 'test-shape', '`where:` is a CEL expression over the call, e.g. `call.args.path.endsWith(".md")` (the call has `name`, `server`, `tool`, `args`, `status`, `step`, `result`, `error`)');
      const source = String(plain).trim().replace(/^\{\{([\s\S]*)\}\}$/, '$1').trim();
      const error = expectationSyntaxError(source, 'call');
      if (error) return this.fail(whereNode, 'test-expression', `\`${source}\` cannot be checked: ${error} (names: call, outputs, steps, inputs, row, …)`);
      call.where = { source, range: this.port.range(whereNode) };
    }
    return this.remember(call, toolNode);
  }

  /** A tool name or pattern; its server must be one the workflow names under `mcp:`. */
  private name(node: Node): string | undefined {
    const text = isScalar(node) && typeof node.value === 'string' ? node.value.trim() : undefined;
    if (!text) return this.fail(node, 'test-shape', 'a tool is named `server.tool` (`files.read_text_file`), or a pattern such as `files.*`');
    try {
      ToolPattern.parse(text);
    } catch (error) {
      return this.fail(node, 'test-shape', (error as Error).message);
    }
    const server = splitQualifiedName(text)?.server ?? text;
    const known = this.knownServers();
    if (known && !server.includes('*') && !known.includes(server)) {
      return this.fail(node, 'test-unknown-tool', `no MCP server \`${server}\` is named under the workflow's \`mcp:\`, so the run cannot call \`${text}\`${didYouMean(server, known)}`);
    }
    return text;
  }

  /** The servers a call can name, or undefined when a sub-workflow may bring its own. */
  private knownServers(): string[] | undefined {
    const workflow = this.port.workflow;
    if (!workflow || [...workflow.stepsById.values()].some((step) => step.kind === 'workflow')) return undefined;
    return [...(workflow.mcp?.declarations.keys() ?? []), ...(workflow.mcp?.references ?? [])];
  }

  names(node: Node, what: string): string[] | undefined {
    if (!isSeq(node)) return this.fail(node, 'test-shape', `${what} is a list of tool names or patterns, e.g. \`[files.write_file, "git.*"]\``);
    const names: string[] = [];
    let ok = true;
    for (const item of node.items as Node[]) {
      const name = this.name(item);
      if (name === undefined) ok = false;
      else names.push(name);
    }
    return ok ? names : undefined;
  }

  count(node: Node, message: string): number | undefined {
    const value = node.toJSON() as unknown;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
    return this.fail(node, 'test-shape', message);
  }

  counts(node: Node): ToolCallCount[] | undefined {
    const example = 'e.g. `counts: { files.read_text_file: 2, files.list_directory: { max: 1 } }`';
    if (!isMap(node)) return this.fail(node, 'test-shape', `\`counts:\` maps tools (names or patterns) to how many calls each may have, ${example}`);
    const counts: ToolCallCount[] = [];
    let ok = true;
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const name = this.port.key(pair) === undefined ? undefined : this.name(keyNode);
      const valueNode = (pair.value as Node | null) ?? keyNode;
      const count = name === undefined ? undefined : this.bounds(name, valueNode, example);
      if (count) counts.push(this.remember(count, keyNode));
      else ok = false;
    }
    return ok ? counts : undefined;
  }

  private bounds(name: string, node: Node, example: string): ToolCallCount | undefined {
    const message = `the calls of \`${name}\` are a whole number, or \`{ min: 1, max: 3 }\` (either), ${example}`;
    if (isScalar(node)) {
      const exactly = this.count(node, message);
      return exactly === undefined ? undefined : { name, min: exactly, max: exactly };
    }
    if (!isMap(node)) return this.fail(node, 'test-shape', message);
    this.port.knownKeys(node, ['min', 'max'], `the count of \`${name}\``);
    const count: ToolCallCount = { name };
    for (const bound of ['min', 'max'] as const) {
      const boundNode = valueOf(node, bound);
      if (boundNode === undefined) continue;
      const value = this.count(boundNode, message);
      if (value === undefined) return undefined;
      count[bound] = value;
    }
    if (count.min === undefined && count.max === undefined) return this.fail(node, 'test-shape', message);
    if (count.min !== undefined && count.max !== undefined && count.min > count.max) return this.fail(node, 'test-tool-conflict', `\`min: ${count.min}\` is more than \`max: ${count.max}\`: no run can satisfy both`);
    return count;
  }

  /** Strings in `args:` may be `{{ }}` templates over the row and the run: each must compile. */
  private templatesIn(node: Node): boolean {
    if (isSeq(node)) return (node.items as Node[]).every((item) => this.templatesIn(item));
    if (isMap(node)) return node.items.every((pair) => pair.value === null || this.templatesIn(pair.value as Node));
    if (!isScalar(node) || typeof node.value !== 'string' || !node.value.includes('{{')) return true;
    const { parts, error } = splitTemplate(node.value);
    const problem = error?.message ?? parts.map((part) => (part.expr ? expectationSyntaxError(part.expr.source) : undefined)).find((e) => e !== undefined);
    if (problem === undefined) return true;
    this.port.problem(node, 'test-expression', `\`${node.value}\` cannot be checked: ${problem} (names: outputs, steps, inputs, row, …)`);
    return false;
  }

  /** True (after reporting) when the parts of the expectation contradict each other. */
  conflicts(spec: ToolsExpectationSpec, at: Node): boolean {
    const calls = spec.calls ?? [];
    let found = false;
    for (const call of calls) {
      const exact = call.name.includes('*') ? undefined : splitQualifiedName(call.name);
      if (!exact) continue;
      const banned = spec.never?.find((never) => ToolPattern.parse(never).matches(exact.server, exact.tool));
      if (banned !== undefined) {
        this.port.problem(this.nodes.get(call) ?? at, 'test-tool-conflict', `\`${call.name}\` is expected here, and \`never:\` lists \`${banned}\`: no run can satisfy both`);
        found = true;
      }
    }
    if (spec.max !== undefined && calls.length > spec.max) {
      this.port.problem(at, 'test-tool-conflict', `\`max: ${spec.max}\` allows fewer tool calls than the ${calls.length} under \`calls:\``);
      found = true;
    }
    for (const count of spec.counts ?? []) {
      const pattern = ToolPattern.parse(count.name);
      const expected = calls.filter((call) => !call.name.includes('*') && matchesName(pattern, call.name)).length;
      if (count.max !== undefined && expected > count.max) {
        this.port.problem(this.nodes.get(count) ?? at, 'test-tool-conflict', `\`counts:\` allows at most ${count.max} call${count.max === 1 ? '' : 's'} of \`${count.name}\`, but \`calls:\` expects ${expected}`);
        found = true;
      }
    }
    return found;
  }

  private remember<T extends object>(value: T, node: Node): T {
    this.nodes.set(value, node);
    return value;
  }
}

export function matchesName(pattern: ToolPattern, name: string): boolean {
  const parts = splitQualifiedName(name);
  return parts !== undefined && pattern.matches(parts.server, parts.tool);
}
