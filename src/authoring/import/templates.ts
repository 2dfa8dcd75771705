/**
 * Jinja and Mustache prompt templates → `{{ }}` templates of the workflow language.
 * Variables are mapped by the caller (`{{ question }}` → `{{ inputs.question }}`);
 * statements, filters and comments have no counterpart and are reported.
 */
import type { ImportReport } from './report';

/** Maps a template variable (with its `.attr` path) to an expression, or to literal text; undefined when unknown. */
export type Resolve = (name: string, path: string) => string | { literal: string } | undefined;

const SIMPLE = /^\s*([A-Za-z_][A-Za-z0-9_]*)((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*|\[\s*\d+\s*\])*)\s*((?:\|[^|]*)*)$/;

export function convertTemplate(source: string, resolve: Resolve, report: ImportReport, where: string): string {
  let out = source.replace(/\{#[\s\S]*?#\}/g, (comment) => {
    report.skip(`${where}: template comment \`${shorten(comment)}\``, 'comments are not part of the prompt; dropped');
    return '';
  });
  out = out.replace(/\{%-?[\s\S]*?-?%\}/g, (statement) => {
    report.skip(`${where}: \`${shorten(statement)}\``, 'Jinja statements (for, if, set) have no counterpart in templates; kept as literal text to rewrite by hand (a `for_each` or `switch` step)');
    return statement;
  });
  out = out.replace(/\{\{\{?([\s\S]*?)\}?\}\}/g, (whole, inner: string) => {
    const match = SIMPLE.exec(inner);
    if (!match) {
      report.skip(`${where}: \`${shorten(whole)}\``, 'not a plain variable; kept as literal text');
      return `{{ '{{' }}${inner}}}`;
    }
    const [, name, rawPath, filters] = match;
    const path = rawPath.replace(/\s+/g, '');
    const expr = resolve(name, path);
    if (expr === undefined) {
      report.skip(`${where}: \`{{ ${name} }}\``, 'no input or step provides this variable; kept as literal text');
      return `{{ '{{' }} ${name}${path} }}`;
    }
    if (filters.trim()) report.skip(`${where}: filter \`${filters.trim()}\` on \`${name}\``, 'Jinja filters have no counterpart; the value is inserted unfiltered');
    return typeof expr === 'string' ? `{{ ${expr} }}` : expr.literal.replace(/\{\{/g, "{{ '{{' }}");
  });
  return out;
}

export interface ChatSections {
  system?: string;
  /** The conversation before the last user turn, as role/content pairs. */
  turns: { role: string; content: string }[];
  prompt: string;
}

/**
 * Splits a chat template on its role lines (`system:`, `user:`, `assistant:`, also
 * `# system:` as Prompt flow writes them). A template without them is all prompt.
 */
export function splitRoles(template: string, report: ImportReport, where: string): ChatSections {
  const parts: { role: string; lines: string[] }[] = [];
  for (const line of template.split('\n')) {
    const role = /^\s*#?\s*(system|user|assistant|human)\s*:\s*$/i.exec(line)?.[1]?.toLowerCase();
    if (role) parts.push({ role: role === 'human' ? 'user' : role, lines: [] });
    else if (parts.length === 0) parts.push({ role: 'user', lines: [line] });
    else parts[parts.length - 1].lines.push(line);
  }
  const sections = parts.map((p) => ({ role: p.role, content: p.lines.join('\n').trim() })).filter((p) => p.content !== '');
  const system = sections.filter((s) => s.role === 'system');
  const rest = sections.filter((s) => s.role !== 'system');
  let lastUser = rest.map((s) => s.role).lastIndexOf('user');
  if (lastUser === -1) lastUser = rest.length - 1;
  const turns = rest.slice(0, Math.max(lastUser, 0));
  if (system.length > 1) report.skip(`${where}: ${system.length} system sections`, 'a step has one system prompt; they are joined');
  if (turns.length > 0) report.skip(`${where}: ${turns.length} earlier chat turn(s)`, 'a step sends one user message; earlier turns are written into the prompt as a transcript');
  const transcript = turns.map((t) => `${t.role === 'assistant' ? 'Assistant' : 'User'}: ${t.content}`).join('\n\n');
  const prompt = [transcript, rest[lastUser]?.content ?? ''].filter((s) => s !== '').join('\n\n');
  return { system: system.length > 0 ? system.map((s) => s.content).join('\n\n') : undefined, turns, prompt };
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
}
