/**
 * The generator workflow's text. The bundles carry it (esbuild defines
 * ORCHESTRATE_GENERATOR_WORKFLOW from src/authoring/generator.workflow.yaml); from
 * source (tests, tsx) it is read from the file beside this one.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

declare const ORCHESTRATE_GENERATOR_WORKFLOW: string | undefined;

export const GENERATOR_FILE = 'generator.workflow.yaml';

export function generatorWorkflowText(): string {
  if (typeof ORCHESTRATE_GENERATOR_WORKFLOW === 'string') return ORCHESTRATE_GENERATOR_WORKFLOW;
  return readFileSync(path.join(__dirname, GENERATOR_FILE), 'utf8');
}
