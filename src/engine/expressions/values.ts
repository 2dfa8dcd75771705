/**
 * Values crossing between the workflow's JSON data and CEL. Inside CEL every object
 * is a Map: a Map's entries never meet JavaScript's prototype, so a reply with a key
 * `constructor`, `toString` or `__proto__` reads as the data it is (cel-js decides an
 * object's type by its `constructor`, which an own key of that name replaces). Both
 * directions are iterative, so a reply nested a million levels deep converts without
 * exhausting the stack.
 */
import { Optional } from '@marcbachmann/cel-js';
import { Duration, UnsignedInt } from '@marcbachmann/cel-js/evaluator';

/**
 * Sets an own property even when the key is `__proto__`: plain assignment would
 * replace the object's prototype and the entry would silently vanish.
 */
export function setEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** An object for user or model data: no prototype, so no name is inherited and `__proto__` is an ordinary key. */
export function dataRecord(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/** A CEL map for a record of named values, such as `steps` keyed by step id. */
export function celMap(entries: Iterable<readonly [string, unknown]> = []): Map<string, unknown> {
  return new Map(entries);
}

/**
 * JSON data as CEL sees it: objects become Maps, and every number is a CEL double
 * (docs/language-numbers.md); ints in a scope (`index`, `attempts`) are set as BigInt
 * by whoever builds it.
 */
export function toCel(value: unknown): unknown {
  return mapTree(value, (node, depth) => {
    if (depth >= MAX_VALUE_DEPTH && typeof node === 'object' && node !== null) return { leaf: new NestedTooDeep(node) };
    if (Array.isArray(node)) {
      const out = new Array<unknown>(node.length);
      return { node: out, entries: node.map((item, index) => [index, item]), put: (index, item) => (out[index as number] = item) };
    }
    if (node instanceof Map) {
      const out = new Map<unknown, unknown>();
      return { node: out, entries: [...node], put: (key, item) => out.set(key, item) };
    }
    if (isPlainData(node)) {
      const out = new Map<string, unknown>();
      return { node: out, entries: Object.entries(node), put: (key, item) => out.set(key as string, item) };
    }
    return { leaf: node === undefined ? null : node };
  });
}

/**
 * A CEL result as JSON data. Numbers a person reads: a CEL int is a JSON number, a
 * `uint` too, a `timestamp` its RFC 3339 text, a `duration` its CEL text (`90s`), a
 * type its name, bytes their UTF-8 text. Infinity and NaN have no JSON form: they
 * throw NonFiniteError, which the caller turns into a located error.
 */
export function fromCel(value: unknown): unknown {
  return mapTree(value, (node) => {
    if (node instanceof NestedTooDeep) return { leaf: node.value };
    if (node instanceof Optional) return { leaf: undefined, replace: node.hasValue() ? node.value() : null };
    if (Array.isArray(node) || node instanceof Set) {
      const items = [...(node as Iterable<unknown>)];
      const out = new Array<unknown>(items.length);
      return { node: out, entries: items.map((item, index) => [index, item]), put: (index, item) => (out[index as number] = item) };
    }
    if (node instanceof Map || isPlainData(node)) {
      const out: Record<string, unknown> = {};
      const entries = node instanceof Map ? [...node].map(([key, item]) => [String(key), item] as [string, unknown]) : Object.entries(node);
      return { node: out, entries, put: (key, item) => setEntry(out, key as string, item) };
    }
    return { leaf: scalarFromCel(node) };
  });
}

function scalarFromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && !Number.isFinite(value)) throw new NonFiniteError(value);
  if (value instanceof UnsignedInt) return Number(value.valueOf());
  if (value instanceof Date) return celTimestampText(value);
  if (value instanceof Duration) return value.toString();
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (isCelType(value)) return value.name;
  return value === undefined ? null : value;
}

/**
 * How deeply nested a value expressions can read. cel-js inspects values recursively,
 * and the names of their types grow with their depth, so reading a reply nested ten
 * thousand levels takes minutes; no real reply nests past a few dozen.
 */
export const MAX_VALUE_DEPTH = 500;

/**
 * What stands in for the part of a value below MAX_VALUE_DEPTH: cel-js cannot read it
 * (any read is an `unsupported_type` error, worded by `explain`), and it converts back
 * to the original, so passing the whole value through an expression keeps it intact.
 */
export class NestedTooDeep {
  constructor(readonly value: unknown) {}
}

/** A double that JSON cannot hold left an expression (it came from dividing by zero). */
export class NonFiniteError extends Error {
  constructor(readonly value: number) {
    super(Number.isNaN(value) ? 'the result is not a number (NaN), as from `0.0 / 0.0`' : `the result is ${value > 0 ? '' : 'minus '}infinity, as from dividing by zero`);
    this.name = 'NonFiniteError';
  }
}

/** `2024-05-01T10:00:00Z` as CEL's `string(timestamp)` writes it: milliseconds only when there are some. */
function celTimestampText(date: Date): string {
  if (Number.isNaN(date.getTime())) return 'invalid timestamp';
  return date.toISOString().replace('.000Z', 'Z');
}

function isCelType(value: unknown): value is { name: string } {
  return typeof value === 'object' && value !== null && /^Type<.*>$/.test(Object.prototype.toString.call(value).slice(8, -1));
}

/** A plain record of data (from JSON, YAML or a CEL map literal), not a class instance. */
function isPlainData(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// ─── Walking a tree of values without recursion ──────────────────────────────

type Converted = { leaf: unknown; replace?: unknown } | { node: unknown; entries: [string | number, unknown][]; put(key: string | number, value: unknown): void };

/**
 * Rebuilds a tree bottom-up with `convert` deciding each node's shape; a `replace`
 * result (an optional's value) is converted in its place.
 */
function mapTree(root: unknown, convert: (value: unknown, depth: number) => Converted): unknown {
  const resolve = (value: unknown, depth: number): Converted => {
    let converted = convert(value, depth);
    while ('replace' in converted) converted = convert(converted.replace, depth);
    return converted;
  };
  const first = resolve(root, 0);
  if ('leaf' in first) return first.leaf;
  const stack = [{ frame: first, at: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.at === top.frame.entries.length) {
      stack.pop();
      continue;
    }
    const [key, child] = top.frame.entries[top.at++];
    const converted = resolve(child, stack.length);
    if ('leaf' in converted) {
      top.frame.put(key, converted.leaf);
    } else {
      top.frame.put(key, converted.node);
      stack.push({ frame: converted, at: 0 });
    }
  }
  return first.node;
}

// ─── Values in text ──────────────────────────────────────────────────────────

/**
 * A value as it appears inside a template's text: a string as is, a number as JSON
 * writes it (2.0 is `2`), a CEL int with all its digits, anything else as readable
 * JSON; nothing (null) as nothing.
 */
export function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value, null, 2);
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
