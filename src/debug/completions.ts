/** Completion in the Debug Console and Watch: the names in scope, then members of what is before the dot. */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Scope } from '../engine/expressions';
import { plain } from './scopes';
import { entries } from './variables';

const FUNCTIONS = ['size', 'has', 'int', 'double', 'string', 'bool', 'type', 'matches', 'contains', 'startsWith', 'endsWith', 'exists', 'all', 'map', 'filter'];

/** Completions for `text` with the cursor at `column` (1-based). */
export function completionsAt(scope: Scope, text: string, column: number): DebugProtocol.CompletionItem[] {
  const before = text.slice(0, Math.max(0, column - 1));
  const match = /([A-Za-z_][\w]*(?:\.[A-Za-z_]?[\w]*)*)$/.exec(before);
  const typed = match?.[1] ?? '';
  const parts = typed.split('.');
  const prefix = parts.pop() ?? '';
  let candidates: { label: string; type: DebugProtocol.CompletionItemType }[];
  if (parts.length === 0) {
    candidates = [
      ...Object.keys(scope)
        .filter((name) => scope[name as keyof Scope] !== undefined)
        .map((label) => ({ label, type: 'variable' as const })),
      ...FUNCTIONS.map((label) => ({ label, type: 'function' as const })),
    ];
  } else {
    let value: unknown = Object.hasOwn(scope, parts[0]) ? plain(scope[parts[0] as keyof Scope]) : undefined;
    for (const part of parts.slice(1)) value = value !== null && typeof value === 'object' && Object.hasOwn(value, part) ? (value as Record<string, unknown>)[part] : undefined;
    candidates = Array.isArray(value) ? [] : entries(value).map(([label]) => ({ label, type: 'property' as const }));
  }
  return candidates.filter((c) => c.label.startsWith(prefix)).map((c) => ({ label: c.label, type: c.type, start: before.length - prefix.length, length: prefix.length }));
}
