/**
 * The analyzer's port onto the workflow files that `uses:` names: whether one exists,
 * the inputs it declares and the files it uses in turn (to find a cycle before a run).
 * Analysis is synchronous and runs on every keystroke in the editor, so the port
 * answers only from what it already knows; `CachedWorkflowFiles` reads a file the first
 * time it is asked for and says so through `onChange` once it has, so that the editor
 * checks again. The CLI gives it a synchronous reader and gets every answer at once.
 */
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadWorkflow } from './load';
import { allSteps } from './graph';

/** What the analyzer needs to know of a sub-workflow. */
export interface SubWorkflowInfo {
  /** The file as the port names it (for a cycle back to the file being checked). */
  file: string;
  /** Its inputs; undefined when the file is not a workflow the loader could read. */
  inputs?: readonly { name: string; required: boolean; hasDefault: boolean }[];
  /** Its own `uses:` paths, as written (relative to `file`). */
  uses: readonly string[];
}

/** `found: false`: there is no such file. `undefined`: not known yet (being read). */
export type SubWorkflowLookup = { found: true; info: SubWorkflowInfo } | { found: false } | undefined;

export interface WorkflowFiles {
  /** The workflow file `uses` names, relative to `fromFile`. */
  lookup(uses: string, fromFile: string): SubWorkflowLookup;
  /** The port's name for a file, as `SubWorkflowInfo.file` gives it. */
  identify(file: string): string;
}

/** Reads a file's text; undefined when there is no such file. */
export type ReadText = (file: string) => string | undefined | Promise<string | undefined>;

export class CachedWorkflowFiles implements WorkflowFiles {
  private readonly known = new Map<string, { found: true; info: SubWorkflowInfo } | { found: false } | 'reading'>();

  /**
   * @param read the file's text, synchronously (the CLI) or not (the editor).
   * @param onChange called after a file read in the background is known: check again.
   */
  constructor(
    private readonly read: ReadText,
    private readonly onChange: (file: string) => void = () => undefined,
  ) {}

  identify(file: string): string {
    return path.resolve(file);
  }

  lookup(uses: string, fromFile: string): SubWorkflowLookup {
    const file = path.resolve(path.dirname(fromFile), uses);
    const known = this.known.get(file);
    if (known === 'reading') return undefined;
    if (known) return known;
    let text: ReturnType<ReadText>;
    try {
      text = this.read(file);
    } catch {
      text = undefined;
    }
    if (!(text instanceof Promise)) return this.remember(file, text);
    this.known.set(file, 'reading');
    text.then(
      (value) => this.remember(file, value),
      () => this.remember(file, undefined),
    ).then(() => this.onChange(file), () => undefined);
    return undefined;
  }

  /** Forgets what is known of `file` (it changed on disk), or of every file. */
  forget(file?: string): void {
    if (file === undefined) this.known.clear();
    else this.known.delete(path.resolve(file));
  }

  private remember(file: string, text: string | undefined): SubWorkflowLookup {
    const entry: SubWorkflowLookup = text === undefined ? { found: false } : { found: true, info: summarize(file, text) };
    this.known.set(file, entry);
    return entry;
  }
}

function summarize(file: string, text: string): SubWorkflowInfo {
  const { workflow } = loadWorkflow(text, file);
  if (!workflow) return { file, uses: [] };
  return {
    file,
    inputs: workflow.inputs.map((input) => ({ name: input.name, required: input.required, hasDefault: input.default !== undefined })),
    uses: allSteps(workflow.steps).flatMap((step) => (step.kind === 'workflow' && step.uses.path ? [step.uses.path] : [])),
  };
}

/** A file's text, or undefined when it cannot be read: for the CLI, where reading at once is right. */
export function readTextSync(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A file's text, or undefined when it cannot be read, without blocking: for the editor. */
export async function readTextAsync(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

const WORKFLOW_FILE = /\.workflow\.ya?ml$/i;
/** Folders that hold no workflows of the project, and can be huge. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'out', 'coverage']);
/** A folder tree this deep is a symlink loop or a mistake, not a workflow library. */
const MAX_DEPTH = 12;

/** The workflow files under a folder, in name order (for `orchestrate mcp`, `serve`, `test` and `validate` given a folder). */
export function workflowFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(full, depth + 1);
      } else if (entry.isFile() && WORKFLOW_FILE.test(entry.name)) {
        found.push(full);
      }
    }
  };
  walk(dir, 0);
  return found;
}
