/**
 * Quick fixes for the editor's tool problems: a misspelt tool or argument becomes the
 * closest one the server lists (`problem.data.replacement`). The problems are made again
 * from the same catalog view, since diagnostics come back from the editor as copies.
 */
import { checkToolReferences, type ToolCatalogView } from '../../authoring/tool-references';
import type { Workflow } from '../../engine';
import { unquoted } from './occurrences';
import type { QuickFix } from './quick-fixes';

export const TOOL_FIXABLE_CODES: ReadonlySet<string> = new Set(['unknown-tool', 'unknown-tool-argument']);

/** The fix for the tool problem with `code` that starts at `offset`, if it has one. */
export function toolQuickFixAt(workflow: Workflow, text: string, view: ToolCatalogView, code: string, offset: number): QuickFix | undefined {
  if (!TOOL_FIXABLE_CODES.has(code)) return undefined;
  const problem = checkToolReferences(workflow, view).find((p) => p.code === code && p.range.offset === offset);
  const replacement = problem?.data?.replacement;
  if (!problem || typeof replacement !== 'string') return undefined;
  const span = unquoted(text, problem.range);
  return { title: `Change to \`${replacement}\``, problem, ...span, newText: quoteIfNeeded(replacement, text[problem.range.offset]) };
}

/** Inside quotes the name goes as it is; a bare scalar stays plain only if the name can be. */
function quoteIfNeeded(name: string, opening: string | undefined): string {
  if (opening === '"' || opening === "'") return opening === '"' ? JSON.stringify(name).slice(1, -1) : name.replace(/'/g, "''");
  return /^[A-Za-z_][\w.-]*$/.test(name) ? name : JSON.stringify(name);
}
