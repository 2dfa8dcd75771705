import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CachedWorkflowFiles, checkWorkflow, formatProblem, hasErrors, readTextSync, type LoadResult, type Workflow, type WorkflowLoader } from '../engine';

/** Reads and checks a workflow file from disk, with `uses:` paths checked against the disk too. */
export function checkFile(file: string): LoadResult & { text: string } {
  const text = readFileSync(file, 'utf8');
  const result = checkWorkflow(text, file, { files: new CachedWorkflowFiles(readTextSync) });
  return { ...result, text };
}

/** Loads sub-workflows for `uses:`; a broken one fails the step with its problems. */
export const loadFromDisk: WorkflowLoader = async (uses: string, fromFile: string): Promise<Workflow> => {
  const file = path.resolve(path.dirname(fromFile), uses);
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const result = checkFile(file);
  if (!result.workflow || hasErrors(result.problems)) {
    throw new Error(result.problems.filter((p) => p.severity === 'error').map(formatProblem).join('\n'));
  }
  return result.workflow;
};
