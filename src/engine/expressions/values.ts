/**
 * Values crossing between the workflow's JSON data and CEL. Inside CEL every object
 * is a Map: a Map's entries never meet JavaScript's prototype, so a reply with a key
 * `constructor`, `toString` or `__proto__` reads as the data it is (cel-js decides an
 * object's type by its `constructor`, which an own key of that name replaces).
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
 * (docs/language.md, "Numbers"); ints in a scope (`index`, `attempts`) are set as BigInt
 * by whoever builds it. Below MAX_VALUE_DEPTH a value is kept whole behind a marker,
 * so the recursion here is bounded whatever a reply holds.
 */
export function toCel(value: unknown): unknown {
  return celValue(value, 0);
}

function celValue(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value === undefined ? null : value;
  if (depth >= MAX_VALUE_DEPTH) return new NestedTooDeep(value);
  if (Array.isArray(value)) return value.map((item) => celValue(item, depth + 1));
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [key, celValue(item, depth + 1)]));
  if (isPlainData(value)) {
    const out = new Map<string, unknown>();
    for (const key of Object.keys(value)) out.set(key, celValue(value[key], depth + 1));
    return out;
  }
  return value;
}

/**
 * A CEL result as JSON data. Numbers a person reads: a CEL int is a JSON number, a
 * `uint` too, a `timestamp` its RFC 3339 text, a `duration` its CEL text (`90s`), a
 * type its name, bytes their UTF-8 text. Infinity and NaN have no JSON form: they
 * throw NonFiniteError, which the caller turns into a located error. CEL values nest
 * no deeper than toCel's bound plus what one expression builds, so recursing is safe.
 */
export function fromCel(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return scalarFromCel(value);
  if (value instanceof NestedTooDeep) return value.value;
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) setEntry(out, String(key), fromCel(item));
    return out;
  }
  if (value instanceof Optional) return fromCel(value.hasValue() ? value.value() : null);
  if (value instanceof Set) return [...(value as Set<unknown>)].map(fromCel);
  if (isPlainData(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setEntry(out, key, fromCel(value[key]));
    return out;
  }
  return scalarFromCel(value);
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
