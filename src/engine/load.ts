/**
 * YAML text → typed `Workflow`, keeping the source range of every node so that
 * every problem, lens and hover points at the right line and column.
 */
import { isMap, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { aliasProblem } from './aliases';
import { Builder } from './build';
import { validateSchema } from './schema';
import { SourceMap } from './source';
import type { Problem, SourceRange, Workflow } from './types';

export interface LoadResult {
  /** Present whenever the file is a YAML mapping, even when it has problems, so editors can still outline it. */
  workflow?: Workflow;
  problems: Problem[];
  source: SourceMap;
}

export { KIND_KEYS, DEFAULT_MAX_VISITS, DEFAULT_CONCURRENCY, DEFAULT_RETRY_DELAY_MS, nodeRange } from './build';

/** How every workflow file is parsed. */
export const YAML_OPTIONS = {
  prettyErrors: false,
  uniqueKeys: true,
  // A mapping used as a key is reported by the schema, not warned about on stderr.
  logLevel: 'error',
} as const;

/** Parses and schema-checks a workflow file. Never throws on bad input. */
export function loadWorkflow(text: string, file: string): LoadResult {
  return loadDocument(parseDocument(text, YAML_OPTIONS), text, file);
}

/** Sorts problems by where they are, then by code, so every face lists them alike. */
export function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => a.range.offset - b.range.offset || a.code.localeCompare(b.code));
}

/** Checks and builds a workflow from its parsed document (`text` is what it was parsed from). */
export function loadDocument(doc: Document, text: string, file: string): LoadResult {
  const source = new SourceMap(text);
  const problems: Problem[] = [];
  let lastLine = 0;
  for (const error of doc.errors) {
    const range = yamlErrorRange(error, doc, source);
    // A second error on the same line is nearly always a knock-on effect of the first.
    if (range.start.line === lastLine) continue;
    lastLine = range.start.line;
    problems.push({ file, range, code: 'yaml-syntax', severity: 'error', message: yamlMessage(error, text) });
  }
  if (doc.errors.length > 0) return { problems, source };
  const aliases = aliasProblem(doc, source, file);
  if (aliases) return { problems: [aliases], source };
  if (!isMap(doc.contents)) {
    problems.push({
      file,
      range: source.range(0, Math.min(text.length, 1)),
      code: 'schema',
      severity: 'error',
      message: 'a workflow is a YAML mapping with at least `name:` and `steps:`; see examples/ for one to start from',
    });
    return { problems, source };
  }
  problems.push(...validateSchema(doc, source, file));
  const builder = new Builder(doc, source, file, problems);
  const workflow = builder.workflow(doc.contents);
  // `invalid-duration` already says what `timeout: soon` should be; the schema's error on the same value adds nothing.
  const durations = problems.filter((p) => p.code === 'invalid-duration').map((p) => `${p.range.offset}:${p.range.endOffset}`);
  const kept = problems.filter((p) => p.code !== 'schema' || !durations.includes(`${p.range.offset}:${p.range.endOffset}`));
  return { workflow, problems: kept, source };
}

/** What to do about the yaml package's errors, by code, where its own message does not say. */
const YAML_HINTS: Partial<Record<YAMLError['code'], string>> = {
  TAB_AS_INDENT: 'indent with spaces',
  BLOCK_AS_IMPLICIT_KEY: 'a line below is indented deeper than the keys beside it; line up the keys of one mapping in the same column, or quote a value that contains `: `',
  MULTILINE_IMPLICIT_KEY: 'check the indentation, and look for an unclosed quote or bracket above',
  BAD_INDENT: 'line up the keys of one mapping (and the `-` items of one list) in the same column',
  BAD_SCALAR_START: 'put the value in quotes',
  BAD_DQ_ESCAPE: 'inside double quotes write `\\\\` for a backslash, or use single quotes',
  MULTIPLE_DOCS: 'a workflow file holds one YAML document; remove the `---` line',
};

function yamlMessage(error: YAMLError, text: string): string {
  if (error.code === 'DUPLICATE_KEY') {
    const key = /^[^:\n]*/.exec(text.slice(error.pos[0]))?.[0].trim();
    if (key) return `YAML syntax: \`${key}\` appears twice in the same mapping; keep one`;
  }
  if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) {
    const quote = error.message.includes("'") ? "'" : '"';
    return `YAML syntax: this \`${quote}\` is never closed; end the text with \`${quote}\` (for a multi-line text, use \`|\` instead of quotes)`;
  }
  const first = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const hint = YAML_HINTS[error.code];
  return `YAML syntax: ${first.charAt(0).toLowerCase()}${first.slice(1)}${hint ? `; ${hint}` : ''}`;
}

/** Where the error is; an unclosed quote is shown at its opening quote, not at the end of the file. */
function yamlErrorRange(error: YAMLError, doc: Document, source: SourceMap): SourceRange {
  if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) {
    let open: number | undefined;
    visit(doc, {
      Scalar(_, scalar) {
        if ((scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE') && scalar.range?.[1] === error.pos[0]) open = scalar.range[0];
      },
    });
    if (open !== undefined) return source.range(open, open + 1);
  }
  if (error.code === 'DUPLICATE_KEY') {
    const key = /^[^:\n]*/.exec(source.text.slice(error.pos[0]))?.[0].trimEnd() ?? '';
    return source.range(error.pos[0], error.pos[0] + Math.max(key.length, 1));
  }
  return source.range(error.pos[0], Math.max(error.pos[1], error.pos[0] + 1));
}

