/**
 * Aliases (`*name`) the model cannot be built from: one with no anchor before it, one
 * inside the value it names (a cycle), or aliases of aliases whose expansion is so large
 * that building it would exhaust memory (the "billion laughs"). Reusing an anchor many
 * times is ordinary YAML and allowed: what is limited is the size of the expanded
 * document, counted in nodes, not the number of aliases.
 */
import { isAlias, isCollection, isPair, isScalar, visit, type Alias, type Document } from 'yaml';
import type { SourceMap } from './source';
import type { Problem } from './types';

/**
 * The most nodes (scalars, mappings, lists and pairs) a workflow may expand to. A
 * 2,000-step workflow written out is about 20,000; the limit leaves room for a hundred
 * times that in shared schemas and still stops an expansion before it costs seconds.
 */
export const MAX_EXPANDED_NODES = 2_000_000;

/**
 * Options for every `toJS` of a workflow document: the yaml library's own guard
 * (`maxAliasCount`, default 100) rejects an anchor used more than about 100 times,
 * which ordinary reuse reaches; `aliasProblem` has already measured the expansion.
 */
export const TO_JS_OPTIONS = { maxAliasCount: -1 } as const;

export function aliasProblem(doc: Document, source: SourceMap, file: string): Problem | undefined {
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
    const size = expandedSize(doc);
    if (size.nodes > MAX_EXPANDED_NODES) {
      first = size.biggest ?? first;
      message = `YAML syntax: the aliases (\`*name\`) in this file expand to more than ${MAX_EXPANDED_NODES.toLocaleString('en')} values (aliases of aliases multiply); write the values out, or use fewer aliases of aliases`;
    }
  }
  if (!message) return undefined;
  const at = first.range ?? [0, 0];
  return { file, range: source.range(at[0], at[1]), code: 'yaml-syntax', severity: 'error', message };
}

/**
 * How many nodes the document has once every alias is replaced by a copy of its
 * anchor's value, and the alias that contributes most. Each anchored value is measured
 * once, so this is linear in the document's written size; the count saturates instead
 * of growing without bound.
 */
function expandedSize(doc: Document): { nodes: number; biggest?: Alias } {
  const sizes = new Map<unknown, number>();
  let biggest: { alias: Alias; nodes: number } | undefined;
  const cap = MAX_EXPANDED_NODES + 1;
  // An explicit stack: a deeply nested document must not overflow the call stack.
  const measure = (root: unknown): number => {
    const stack: { node: unknown; children?: unknown[]; total: number; next: number }[] = [{ node: root, total: 0, next: 0 }];
    let result = 0;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      if (frame.children === undefined) {
        const known = sizes.get(frame.node);
        if (known !== undefined) {
          stack.pop();
          result = known;
          if (stack.length > 0) stack[stack.length - 1].total = Math.min(cap, stack[stack.length - 1].total + known);
          continue;
        }
        frame.children = childrenOf(doc, frame.node);
        // A pair and an alias add no node of their own: the pair's key and value, the alias's target do.
        frame.total = isPair(frame.node) || isAlias(frame.node) ? 0 : 1;
      }
      if (frame.next < frame.children.length) {
        stack.push({ node: frame.children[frame.next++], total: 0, next: 0 });
        continue;
      }
      stack.pop();
      sizes.set(frame.node, frame.total);
      if (isAlias(frame.node) && (!biggest || frame.total > biggest.nodes)) biggest = { alias: frame.node, nodes: frame.total };
      result = frame.total;
      if (stack.length > 0) stack[stack.length - 1].total = Math.min(cap, stack[stack.length - 1].total + frame.total);
    }
    return result;
  };
  const nodes = doc.contents ? measure(doc.contents) : 0;
  return { nodes, biggest: biggest?.alias };
}

/** What a node expands to: an alias to its anchor's value (counted, not itself a node). */
function childrenOf(doc: Document, node: unknown): unknown[] {
  if (isAlias(node)) {
    const target = node.resolve(doc);
    return target ? [target] : [];
  }
  if (isCollection(node)) return node.items;
  if (isPair(node)) return [node.key, node.value].filter((n) => isScalar(n) || isCollection(n) || isAlias(n));
  return [];
}
