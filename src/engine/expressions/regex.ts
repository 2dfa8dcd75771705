/**
 * `matches()` with RE2 semantics, as CEL specifies it. RE2 matches in time linear
 * in the text, so no pattern can stall a run or the editor the way a backtracking
 * engine does on `^(a+)+$`; in exchange it has no backreferences and no lookaround.
 */
import { LRUCache } from 'lru-cache';
import { RE2JS } from 're2js';

/** Distinct patterns kept compiled; a workflow has a handful, the bound only stops growth. */
const MAX_CACHED_PATTERNS = 500;

type Compiled = { regex: RE2JS } | { error: string };

const cache = new LRUCache<string, Compiled>({ max: MAX_CACHED_PATTERNS });

/** Why RE2 cannot compile `pattern`, in an author's words, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  const compiled = compilePattern(pattern);
  return 'error' in compiled ? compiled.error : undefined;
}

/** Whether `pattern` matches anywhere in `text`; throws PatternError when it does not compile. */
export function regexMatches(text: string, pattern: string): boolean {
  const compiled = compilePattern(pattern);
  if ('error' in compiled) throw new PatternError(compiled.error);
  return compiled.regex.test(text);
}

export class PatternError extends Error {
  override readonly name = 'PatternError';
}

function compilePattern(pattern: string): Compiled {
  let compiled = cache.get(pattern);
  if (!compiled) {
    try {
      compiled = { regex: RE2JS.compile(pattern) };
    } catch (error) {
      compiled = { error: explainPattern(pattern, error instanceof Error ? error.message : String(error)) };
    }
    cache.set(pattern, compiled);
  }
  return compiled;
}

/** RE2's parse errors, said for an author, with what to write instead where RE2 differs from JavaScript. */
function explainPattern(pattern: string, message: string): string {
  const shown = `\`${pattern.length > 60 ? `${pattern.slice(0, 60)}…` : pattern}\``;
  const reason = message.replace(/^error parsing regexp: /, '');
  const base = `the pattern ${shown} is not a valid regular expression (${reason})`;
  if (/\\[1-9]/.test(pattern)) return `${base}: \`matches\` uses RE2, which has no backreferences such as \`\\1\`; match the repeated part explicitly`;
  if (/\(\?<?[=!]/.test(pattern)) return `${base}: \`matches\` uses RE2, which has no lookahead or lookbehind (\`(?=\`, \`(?!\`, \`(?<=\`, \`(?<!\`); test the parts with separate \`matches\` calls joined by \`&&\` or \`!\``;
  if (/repeat count/.test(reason)) return `${base}: RE2 allows at most 1000 repetitions in \`{n,m}\``;
  return `${base}; \`matches\` uses RE2 syntax`;
}
