/**
 * Where a piece of a scalar's value is in the file. An expression inside a folded,
 * literal or quoted scalar is not written as its value reads (indentation, folding,
 * escapes), so each character is lined up with the text that wrote it; problems then
 * point at the name inside a multi-line `if: >` or a `{{ }}` spanning lines.
 */
import { isScalar, type Node } from 'yaml';
import { scalarOffsets, type SourceMap } from './source';
import type { Expr, SourceRange } from './types';

export class ScalarLocator {
  private readonly offsetCache = new Map<Node, number[] | 'as-is' | undefined>();

  constructor(private readonly source: SourceMap) {}

  /** The expression `value.slice(start, end)` of a scalar, located in the file character by character. */
  exprIn(node: Node, value: string, start: number, end: number): Expr {
    const source = value.slice(start, end);
    const offsets = this.offsetsOf(node, value);
    if (offsets === 'as-is') {
      const at = this.nodeRange(node).offset;
      return { source, range: this.source.range(at + start, at + end) };
    }
    if (!offsets) return { source, range: this.nodeRange(node) };
    const own = offsets.slice(start, end);
    own.push(end > start ? offsets[end - 1] + 1 : offsets[start]);
    return { source, range: this.source.range(own[0], own[own.length - 1]), offsets: own };
  }

  /** The range of `value.slice(start, end)` inside a scalar whose value is `value`. */
  rangeIn(node: Node, value: string, start: number, end: number): SourceRange {
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

  private nodeRange(node: Node): SourceRange {
    return this.source.range(node.range?.[0] ?? 0, node.range?.[1] ?? 0);
  }
}
