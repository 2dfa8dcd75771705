/**
 * How deeply nested a value a run keeps. Traces, caches, the panel and the HTTP API
 * write values with `JSON.stringify`, which recurses and overflows the stack a little
 * past 4,000 levels (less on a thread that is already deep); a reply or input nested
 * past this limit fails where it enters the run, with a message, instead of breaking
 * whatever writes it next. Expressions read less deep still (MAX_VALUE_DEPTH).
 */
export const MAX_KEPT_DEPTH = 1000;

/** Whether `value` has objects or lists nested more than `limit` levels, found without recursion. */
export function nestsDeeperThan(value: unknown, limit = MAX_KEPT_DEPTH): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const pending: [object, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next;
    if (depth > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
    }
  }
  return false;
}

export function tooDeepMessage(what: string): string {
  return `${what} nests lists or objects more than ${MAX_KEPT_DEPTH.toLocaleString('en-US')} levels deep, deeper than a run keeps (traces and caches write values as JSON)`;
}
