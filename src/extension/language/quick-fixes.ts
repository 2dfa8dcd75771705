/**
 * Quick fixes keyed on the stable problem codes: a name that is not known becomes the
 * closest known one (`problem.data.replacement`), a repeated id becomes a unique one.
 */
import type { Problem, ProblemCode } from '../../engine';
import { unquoted } from './occurrences';

export const FIXABLE_CODES: ReadonlySet<ProblemCode> = new Set<ProblemCode>(['unknown-step-ref', 'unknown-target', 'unknown-input-ref', 'unknown-worker', 'unknown-step-field', 'duplicate-id']);

export interface QuickFix {
  title: string;
  problem: Problem;
  offset: number;
  endOffset: number;
  newText: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function quickFixFor(problem: Problem, text: string): QuickFix | undefined {
  if (!FIXABLE_CODES.has(problem.code)) return undefined;
  const replacement = problem.data?.replacement;
  if (typeof replacement !== 'string') return undefined;
  const span = nameSpan(problem, text);
  if (!span) return undefined;
  const title = problem.code === 'duplicate-id' ? `Rename to \`${replacement}\`` : `Change to \`${replacement}\``;
  return { title, problem, ...span, newText: replacement };
}

/**
 * The exact span of the wrong name. Usually the problem's range is just the name; when
 * the analyzer could only point at the whole expression (a multi-line or escaped
 * scalar), the name is found inside it from the message.
 */
function nameSpan(problem: Problem, text: string): { offset: number; endOffset: number } | undefined {
  const span = unquoted(text, problem.range);
  if (NAME.test(text.slice(span.offset, span.endOffset))) return span;
  const wrong = /`([A-Za-z_][A-Za-z0-9_]*)`/.exec(problem.message)?.[1];
  if (!wrong) return undefined;
  const inside = text.slice(span.offset, span.endOffset);
  const lead = problem.code === 'unknown-input-ref' ? 'inputs' : problem.code === 'unknown-step-ref' ? 'steps' : '';
  const pattern = new RegExp(`${lead ? `\\b${lead}\\s*\\.\\s*` : '\\.\\s*'}(${wrong})\\b`);
  const match = pattern.exec(inside);
  if (!match) return undefined;
  const at = span.offset + match.index + match[0].length - wrong.length;
  return { offset: at, endOffset: at + wrong.length };
}

export interface DiagnosticSpec {
  offset: number;
  endOffset: number;
  severity: Problem['severity'];
  code: ProblemCode;
  message: string;
}

/** Problems as diagnostics; a zero-width range is widened to one character so it can be seen. */
export function toDiagnosticSpecs(problems: readonly Problem[], text: string): DiagnosticSpec[] {
  return problems.map((problem) => {
    const { offset } = problem.range;
    const endOffset = problem.range.endOffset > offset ? problem.range.endOffset : Math.min(text.length, offset + 1);
    return { offset, endOffset, severity: problem.severity, code: problem.code, message: problem.message };
  });
}
