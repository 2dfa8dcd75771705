/**
 * The one shape of a CLI error. A person reads it on stderr; with `--json` a program
 * also reads it on stdout as `{ "error": { code, message, file?, line?, column?, problems? } }`,
 * so `orchestrate run … --json | jq` always gets one JSON document.
 */
import { formatProblem, type Problem } from '../engine';

/** Stable codes; a program branches on these, never on the wording. */
export type CliErrorCode =
  | 'usage'
  | 'file-missing'
  | 'file-unreadable'
  | 'file-not-text'
  | 'file-too-large'
  | 'workflow-invalid'
  | 'input'
  | 'out-unwritable'
  | 'config-invalid'
  | 'run-not-found'
  | 'internal'
  // From reading and resuming traces (TraceFormatError, ResumeError):
  | 'trace-unreadable'
  | 'trace-empty'
  | 'trace-garbage'
  | 'trace-header'
  | 'trace-version'
  | 'already-succeeded'
  | 'workflow-missing'
  | 'seeded-run';

/** One located problem, as `problems[]` holds it. Lines and columns are 1-based. */
export interface JsonProblem {
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  file: string;
  line: number;
  column: number;
  stepId?: string;
}

export interface JsonError {
  error: {
    code: CliErrorCode;
    message: string;
    file?: string;
    line?: number;
    column?: number;
    problems?: JsonProblem[];
  };
}

export interface CliErrorOptions {
  file?: string;
  line?: number;
  column?: number;
  problems?: JsonProblem[];
  /** The exit status: 2 (the default) for bad input, 1 for a failure after the run. */
  exitCode?: number;
  /**
   * What a person reads on stderr, when it is more than `message` (every problem, one
   * `file:line:col: code: message` line each). Defaults to `message`.
   */
  text?: string;
}

export class CliError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly problems?: JsonProblem[];
  readonly exitCode: number;
  readonly text: string;

  constructor(
    readonly code: CliErrorCode,
    message: string,
    options: CliErrorOptions = {},
  ) {
    super(message);
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
    this.problems = options.problems;
    this.exitCode = options.exitCode ?? 2;
    this.text = options.text ?? message;
  }

  toJSON(): JsonError {
    const error: JsonError['error'] = { code: this.code, message: this.message };
    if (this.file !== undefined) error.file = this.file;
    if (this.line !== undefined) error.line = this.line;
    if (this.column !== undefined) error.column = this.column;
    if (this.problems !== undefined) error.problems = this.problems;
    return { error };
  }
}

export function jsonProblem(problem: Problem): JsonProblem {
  const out: JsonProblem = {
    code: problem.code,
    severity: problem.severity,
    message: problem.message,
    file: problem.file,
    line: problem.range.start.line,
    column: problem.range.start.column,
  };
  if (problem.stepId !== undefined) out.stepId = problem.stepId;
  return out;
}

/** A workflow file with errors: located at its first error, every problem listed. */
export function invalidWorkflow(file: string, problems: Problem[]): CliError {
  const errors = problems.filter((p) => p.severity === 'error');
  const first = errors[0] ?? problems[0];
  const message = !first ? `${file} is not a valid workflow` : errors.length > 1 ? `${errors.length} errors in ${file}; the first: ${first.message}` : first.message;
  return new CliError('workflow-invalid', message, {
    file,
    line: first?.range.start.line,
    column: first?.range.start.column,
    problems: problems.map(jsonProblem),
    text: problems.map(formatProblem).join('\n'),
  });
}

/** Problems about `--input` values, printed as `file:line:col: code: message`. */
export function inputError(problems: JsonProblem[]): CliError {
  const [first] = problems;
  return new CliError('input', first.message, {
    file: first.file,
    line: first.line,
    column: first.column,
    problems,
    text: problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.code}: ${p.message}`).join('\n'),
  });
}

/** An OS error in words, with its errno code beside them for searching. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EISDIR: 'it is a folder',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
    EEXIST: 'a file of that name appeared meanwhile',
  };
  return code && Object.hasOwn(words, code) ? `${words[code]}, ${code}` : code ? `${code}` : String((error as Error).message ?? error);
}

/** The help text's description of the shape above, for `run`, `resume`, `runs` and `trace`. */
export const JSON_ERROR_HELP = `With --json, an error that stops the command before or after the run is printed on
stdout as one JSON object (the same message is on stderr):
  { "error": { "code", "message", "file"?, "line"?, "column"?, "problems"?: [
      { "code", "severity", "message", "file", "line", "column", "stepId"? } ] } }
\`code\` is stable (usage, file-missing, file-unreadable, file-not-text, file-too-large,
workflow-invalid, input, out-unwritable, config-invalid, run-not-found, trace-*,
already-succeeded, …).`;
