import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { CachedWorkflowFiles, checkWorkflow, formatProblem, hasErrors, readTextSync, workflowFiles, type LoadResult, type Workflow, type WorkflowLoader } from '../engine';
import { CliError } from './errors';

/** Far above any workflow a person writes; a bigger file is a mistake (a log, a data dump), not a workflow. */
export const MAX_WORKFLOW_BYTES = 4 * 1024 * 1024;

/**
 * The files named on a command line, with each folder replaced by the workflow files under
 * it (`orchestrate test examples/`). A folder with none is a mistake worth saying.
 */
export function expandFolders(args: readonly string[], cwd: string): string[] {
  return args.flatMap((arg) => {
    const full = path.resolve(cwd, arg);
    let folder = false;
    try {
      folder = statSync(full).isDirectory();
    } catch {
      // Not there: reading it says so, in the file's own words.
    }
    // `x.workflow.yaml/` is a file name gone wrong, not a library of workflows: reading it says so.
    if (!folder || /\.workflow\.ya?ml$/i.test(arg.replace(/[\\/]+$/, ''))) return [arg];
    const found = workflowFiles(full).map((file) => path.relative(cwd, file) || file);
    if (found.length === 0) throw new CliError('file-unreadable', `${arg} holds no .workflow.yaml files`, { file: arg });
    return found;
  });
}

/**
 * A workflow file's text, or a {@link CliError} saying in words why it cannot be one:
 * missing, a folder, unreadable, not text, or too large.
 */
export function readWorkflowText(file: string): string {
  let size: number;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw new CliError('file-unreadable', `${file} is a folder, not a workflow file; name a .workflow.yaml file in it`, { file });
    size = stat.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw fileError(file, error as NodeJS.ErrnoException);
  }
  if (size > MAX_WORKFLOW_BYTES) {
    throw new CliError('file-too-large', `${file} is ${(size / 1024 / 1024).toFixed(1)} MB; a workflow file is at most ${MAX_WORKFLOW_BYTES / 1024 / 1024} MB — is it the right file?`, { file });
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw fileError(file, error as NodeJS.ErrnoException);
  }
  const nul = bytes.indexOf(0);
  let text: string | undefined;
  if (nul === -1) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      text = undefined;
    }
  }
  if (text === undefined) {
    throw new CliError('file-not-text', `${file} is not a text file (${nul === -1 ? 'it is not valid UTF-8' : 'it contains NUL bytes'}); a workflow is YAML text in UTF-8`, { file });
  }
  return text;
}

function fileError(file: string, error: NodeJS.ErrnoException): CliError {
  switch (error.code) {
    case 'ENOENT':
      return new CliError('file-missing', `${file}: no such file`, { file });
    case 'ENOTDIR':
      return new CliError('file-missing', `${file}: no such file (a part of the path is a file, not a folder)`, { file });
    case 'EACCES':
    case 'EPERM':
      return new CliError('file-unreadable', `${file}: permission denied; you cannot read this file`, { file });
    case 'EISDIR':
      return new CliError('file-unreadable', `${file} is a folder, not a workflow file`, { file });
    default:
      return new CliError('file-unreadable', `${file}: cannot read it (${error.code ?? error.message})`, { file });
  }
}

/** Reads and checks a workflow file from disk, with `uses:` paths checked against the disk too. Throws {@link CliError} for a file it cannot read. */
export function checkFile(file: string): LoadResult & { text: string } {
  const text = readWorkflowText(file);
  const result = checkWorkflow(text, file, { files: new CachedWorkflowFiles(readTextSync) });
  return { ...result, text };
}

/** Loads sub-workflows for `uses:`; a broken one fails the step with its problems. */
export const loadFromDisk: WorkflowLoader = async (uses: string, fromFile: string): Promise<Workflow> => {
  const file = path.resolve(path.dirname(fromFile), uses);
  let result: ReturnType<typeof checkFile>;
  try {
    result = checkFile(file);
  } catch (error) {
    // The step's error names the sub-workflow; a CliError's message already does.
    throw new Error(error instanceof CliError ? error.message : String(error));
  }
  if (!result.workflow || hasErrors(result.problems)) {
    throw new Error(result.problems.filter((p) => p.severity === 'error').map(formatProblem).join('\n'));
  }
  return result.workflow;
};
