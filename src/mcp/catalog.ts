/**
 * The workflows under a folder, as tools: read fresh on every `tools/list` and
 * `tools/call`, so an edited or added workflow is served without a restart, and a
 * workflow with errors is left out (with a note on stderr) rather than failing the rest.
 */
import { readFileSync } from 'node:fs';
import { CachedWorkflowFiles, checkWorkflow, formatProblem, hasErrors, readTextSync, workflowFiles, type Workflow } from '../engine';
import { uniqueNames, workflowToolDefinition, workflowToolName, type WorkflowToolDefinition } from '../engine/tools';

export interface CatalogEntry {
  definition: WorkflowToolDefinition;
  workflow: Workflow;
  /** The file's text, hashed into the run's trace. */
  text: string;
}

export interface Catalog {
  entries: CatalogEntry[];
  /** One line per file left out, `file:line:col: code: message`. */
  problems: string[];
}

export function loadCatalog(dir: string): Catalog {
  const problems: string[] = [];
  const loaded: { workflow: Workflow; text: string }[] = [];
  for (const file of workflowFiles(dir)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push(`${file}: cannot be read: ${(error as Error).message}`);
      continue;
    }
    const result = checkWorkflow(text, file, { files: new CachedWorkflowFiles(readTextSync) });
    if (!result.workflow || hasErrors(result.problems)) {
      const first = result.problems.find((p) => p.severity === 'error');
      problems.push(first ? `${formatProblem(first)} (the workflow is not served until it is fixed)` : `${file}: not a workflow`);
      continue;
    }
    loaded.push({ workflow: result.workflow, text });
  }
  const names = uniqueNames(loaded.map(({ workflow }) => workflowToolName(workflow)));
  return {
    entries: loaded.map(({ workflow, text }, i) => ({ definition: workflowToolDefinition(workflow, names[i]), workflow, text })),
    problems,
  };
}
