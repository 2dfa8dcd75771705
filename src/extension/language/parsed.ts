/**
 * One analysis of one version of a workflow file, and the indexes the editor features
 * read from it. The adapters keep one of these per document version, so CodeLens,
 * symbols, hover and navigation never parse twice; the indexes are built on first use.
 */
import { allSteps, checkWorkflow, IncrementalChecker, type AnalyzeOptions, type LoadResult, type Problem, type Step, type Workflow } from '../../engine';
import { collectOccurrences, type Occurrence } from './occurrences';

export class ParsedWorkflow {
  readonly workflow: Workflow | undefined;
  readonly problems: Problem[];
  /** Every step, nested ones after their parent, in file order. */
  readonly steps: Step[];
  private occurrenceList: Occurrence[] | undefined;
  private nameLine: number | undefined;

  constructor(
    readonly text: string,
    readonly file: string,
    readonly result: LoadResult,
  ) {
    this.workflow = result.workflow;
    this.problems = result.problems;
    this.steps = this.workflow ? allSteps(this.workflow.steps) : [];
  }

  /** Every place a step id or an input name is written: definitions, transitions, expressions. */
  get occurrences(): Occurrence[] {
    this.occurrenceList ??= this.workflow ? collectOccurrences(this.text, this.workflow) : [];
    return this.occurrenceList;
  }

  /** The offset of the top-level `name:` line (where the workflow's lenses go), else 0. */
  get nameOffset(): number {
    if (this.nameLine === undefined) {
      const match = /^name[ \t]*:/m.exec(this.text);
      this.nameLine = match ? match.index : 0;
    }
    return this.nameLine;
  }

  /** The innermost step whose mapping contains `offset`. */
  stepAt(offset: number): Step | undefined {
    const top = this.workflow?.steps ?? [];
    let found = containing(top, offset);
    while (found?.kind === 'parallel') {
      const branch = containing(found.branches, offset);
      if (!branch) break;
      found = branch;
    }
    return found;
  }

  topLevelOf(step: Step): Step {
    let current = step;
    while (current.parentId !== undefined) {
      const parent = this.workflow?.stepsById.get(current.parentId);
      if (!parent) break;
      current = parent;
    }
    return current;
  }
}

/** Binary search over steps in file order, then a check that the range really holds the offset. */
function containing(steps: readonly Step[], offset: number): Step | undefined {
  let low = 0;
  let high = steps.length - 1;
  let best = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (steps[mid].range.offset <= offset) {
      best = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  const step = steps[best];
  return step && offset <= step.range.endOffset ? step : undefined;
}

/** Analyzes a workflow; pass the document's `checker` so that an edit re-parses only the steps it touched. */
export function parseWorkflow(text: string, file: string, options: AnalyzeOptions = {}, checker?: IncrementalChecker): ParsedWorkflow {
  return new ParsedWorkflow(text, file, checker ? checker.check(text, file, options) : checkWorkflow(text, file, options));
}

/**
 * Maps offsets of the current text onto an older text the analysis was made from,
 * assuming one edited region (what typing produces): offsets before the edit are the
 * same, offsets after it shift by the length change, offsets inside it go to its start.
 * This lets completion answer at once from the last analysis instead of waiting for a
 * new one on every keystroke (a 2,000-step file takes hundreds of milliseconds to analyze).
 */
export function staleOffset(stale: string, current: string, offset: number): number {
  if (stale === current) return offset;
  const max = Math.min(stale.length, current.length);
  let prefix = 0;
  while (prefix < max && stale.charCodeAt(prefix) === current.charCodeAt(prefix)) prefix++;
  if (offset <= prefix) return offset;
  let suffix = 0;
  while (suffix < max - prefix && stale.charCodeAt(stale.length - 1 - suffix) === current.charCodeAt(current.length - 1 - suffix)) suffix++;
  const delta = current.length - stale.length;
  if (offset >= current.length - suffix) return offset - delta;
  return prefix;
}
