import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { ApiError } from './errors';
import { checkServedFile, type ServedWorkflow } from './workflows';

const SKIPPED = new Set(['node_modules', '.git', '.orchestrate']);
const WORKFLOW_FILE = /\.workflow\.ya?ml$/i;

/**
 * The `*.workflow.yaml` files under the served folder that declare triggers, read
 * when the server starts. A broken one is reported and left out; the rest serve.
 */
export function discoverTriggers(root: string, warn: (message: string) => void): ServedWorkflow[] {
  const found: ServedWorkflow[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 8) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !SKIPPED.has(entry.name)) walk(path.join(dir, entry.name), depth + 1);
      else if (entry.isFile() && WORKFLOW_FILE.test(entry.name)) {
        const file = path.join(dir, entry.name);
        try {
          const served = checkServedFile(root, file);
          if (served.triggers.webhooks.length > 0 || served.triggers.schedules.length > 0) found.push(served);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          const problems = (error.details.problems as string[] | undefined) ?? [];
          if (problems.some((line) => line.includes(': trigger-'))) warn(`${error.message}; its triggers are off:\n  ${problems.join('\n  ')}`);
        }
      }
    }
  };
  walk(root, 0);
  return found;
}
