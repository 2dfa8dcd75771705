/**
 * Semantic analysis: what the schema cannot see. Duplicate ids, references to
 * steps, inputs and workers that do not exist or cannot have run yet, transitions
 * to nowhere, unreachable steps, and CEL syntax and type errors — each with its
 * location, a stable code and what to write instead.
 */
import { ExpressionError, compile, expressionProblems, references, typeCheck, type ScopeVariable } from './expressions';
import { allSteps, isTerminal, Reachability, topLevelOf } from './graph';
import { didYouMean, closest } from './suggest';
import type { Expr, Problem, ProblemCode, SourceRange, Step, Template, TemplateValue, Workflow } from './types';

/** The fields of `steps.<id>` that expressions may read. */
export const STEP_FIELDS = ['output', 'status', 'attempts'] as const;

export interface AnalyzeOptions {
  /** Whether a `uses:` path exists; omitted, sub-workflow paths are not checked. */
  workflowExists?: (path: string, fromFile: string) => boolean;
}

export function analyzeWorkflow(workflow: Workflow, options: AnalyzeOptions = {}): Problem[] {
  return new Analyzer(workflow, options).run();
}

/** Where an expression is written decides which names are in scope. */
interface Context {
  step?: Step;
  /** Inside a `for_each` body: `item` and `index`. */
  inMap: boolean;
  /** In `check`: `output`. */
  hasOutput: boolean;
  /** `outputs:` of the workflow: every step may have run. */
  anyStep: boolean;
}

class Analyzer {
  private readonly problems: Problem[] = [];
  private readonly reach: Reachability;
  private readonly steps: Step[];
  private readonly inputNames: Set<string>;
  private readonly topIds: Set<string>;

  constructor(
    private readonly workflow: Workflow,
    private readonly options: AnalyzeOptions,
  ) {
    this.steps = allSteps(workflow.steps);
    this.reach = new Reachability(workflow);
    this.inputNames = new Set(workflow.inputs.map((input) => input.name));
    this.topIds = new Set(workflow.steps.map((step) => step.id));
  }

  run(): Problem[] {
    this.duplicates();
    this.unreachable();
    for (const step of this.steps) this.step(step);
    for (const worker of Object.values(this.workflow.workers)) {
      this.template(worker.system, { inMap: false, hasOutput: false, anyStep: true });
    }
    for (const value of Object.values(this.workflow.outputs)) {
      this.templateValue(value, { inMap: false, hasOutput: false, anyStep: true });
    }
    return this.problems;
  }

  private duplicates(): void {
    const seen = new Map<string, Step>();
    for (const step of this.steps) {
      const first = seen.get(step.id);
      if (first) {
        this.report(step.idRange, 'duplicate-id', `step id \`${step.id}\` is already used on line ${first.idRange.start.line}; ids must be unique — rename this one (e.g. \`${step.id}_2\`)`, step, {
          replacement: uniqueId(step.id, seen),
        });
      } else seen.set(step.id, step);
    }
  }

  private unreachable(): void {
    const [first] = this.workflow.steps;
    if (!first) return;
    const reachable = this.reach.reachableFrom(first.id);
    for (const step of this.workflow.steps) {
      if (!reachable.has(step.id)) {
        this.report(step.idRange, 'unreachable-step', `step \`${step.id}\` can never run: no step leads to it (check the \`next\`, \`on_success\`, \`switch\` and \`end\` keys before it)`, step, undefined, 'warning');
      }
    }
  }

  private step(step: Step): void {
    const base: Context = { step, inMap: step.forEach !== undefined, hasOutput: false, anyStep: false };
    if (step.forEach) this.expression(step.forEach, { ...base, inMap: false });
    if (step.if) this.expression(step.if, { ...base, inMap: false });
    if (step.check) this.expression(step.check, { ...base, hasOutput: true });
    if (step.mock) this.templateValue(step.mock, base);
    this.template(step.fail, base);
    this.transitions(step);
    switch (step.kind) {
      case 'prompt':
        this.template(step.prompt, base);
        this.template(step.system, base);
        if (step.worker && !Object.hasOwn(this.workflow.workers, step.worker.name)) {
          const workers = Object.keys(this.workflow.workers);
          this.report(
            step.worker.range,
            'unknown-worker',
            `there is no worker \`${step.worker.name}\`${didYouMean(step.worker.name, workers)}${workers.length ? ` (workers: ${workers.join(', ')})` : ' — define it under `workers:`'}`,
            step,
            closestData(step.worker.name, workers),
          );
        }
        break;
      case 'switch':
        this.expression(step.switch, base);
        break;
      case 'input':
        this.template(step.question, base);
        break;
      case 'set':
        this.templateValue(step.value, base);
        break;
      case 'workflow':
        for (const value of Object.values(step.with)) this.templateValue(value, base);
        if (this.options.workflowExists && step.uses.path && !this.options.workflowExists(step.uses.path, this.workflow.file)) {
          this.report(step.uses.range, 'workflow-not-found', `no workflow file at \`${step.uses.path}\` (the path is relative to this file)`, step);
        }
        break;
      case 'parallel':
      case 'fail':
        break;
    }
  }

  private transitions(step: Step): void {
    const targets = [step.next, step.onSuccess, step.onFailure];
    if (step.kind === 'switch') targets.push(...step.cases.map((c) => c.target), step.default);
    for (const target of targets) {
      if (!target) continue;
      if (step.parentId !== undefined) {
        this.report(target.range, 'nested-transition', `step \`${step.id}\` is a branch of \`${step.parentId}\`, which runs its branches together; move \`next\`/\`on_success\`/\`on_failure\`/\`switch\` to \`${step.parentId}\` itself`, step);
        continue;
      }
      if (isTerminal(target.to) || this.topIds.has(target.to)) continue;
      const nested = this.workflow.stepsById.get(target.to);
      const message = nested
        ? `\`${target.to}\` is a branch inside \`${nested.parentId}\`; a transition can only go to a top-level step (or \`end\` / \`fail\`)`
        : `there is no step \`${target.to}\` to go to; write a step id, \`end\` or \`fail\`${didYouMean(target.to, this.topIds)}`;
      this.report(target.range, 'unknown-target', message, step, closestData(target.to, this.topIds));
    }
  }

  private templateValue(value: TemplateValue | undefined, context: Context): void {
    if (!value) return;
    switch (value.kind) {
      case 'template':
        this.template(value.template, context);
        break;
      case 'list':
        for (const item of value.items) this.templateValue(item, context);
        break;
      case 'object':
        for (const item of Object.values(value.entries)) this.templateValue(item, context);
        break;
      case 'literal':
        break;
    }
  }

  private template(template: Template | undefined, context: Context): void {
    if (!template) return;
    for (const part of template.parts) if ('expr' in part) this.expression(part.expr, context);
  }

  private expression(expr: Expr, context: Context): void {
    try {
      compile(expr);
    } catch (error) {
      if (error instanceof ExpressionError) {
        this.report(expr.range, error.code, error.message, context.step);
        return;
      }
      throw error;
    }
    let referenceProblems = 0;
    for (const ref of references(expr)) {
      const at = (start = ref.start, end = ref.end) => offsetRange(expr, start, end);
      if (!this.inScope(ref.variable as ScopeVariable, context)) {
        referenceProblems++;
        this.report(at(), 'unknown-variable', this.scopeMessage(ref.variable, context), context.step);
        continue;
      }
      if (ref.variable === 'inputs' && ref.member !== undefined && !this.inputNames.has(ref.member)) {
        referenceProblems++;
        const names = [...this.inputNames];
        this.report(
          at(ref.memberStart, ref.memberEnd),
          'unknown-input-ref',
          `there is no input \`${ref.member}\`${didYouMean(ref.member, names)}${names.length ? ` (inputs: ${names.join(', ')})` : ' — declare it under `inputs:`'}`,
          context.step,
          closestData(ref.member, names),
        );
      }
      if (ref.variable === 'steps' && ref.member !== undefined) {
        const target = this.workflow.stepsById.get(ref.member);
        if (!target) {
          referenceProblems++;
          const ids = [...this.workflow.stepsById.keys()];
          this.report(
            at(ref.memberStart, ref.memberEnd),
            'unknown-step-ref',
            `there is no step \`${ref.member}\`${didYouMean(ref.member, ids)}`,
            context.step,
            closestData(ref.member, ids),
          );
          continue;
        }
        if (ref.field !== undefined && !(STEP_FIELDS as readonly string[]).includes(ref.field)) {
          referenceProblems++;
          this.report(
            at(ref.fieldStart, ref.fieldEnd),
            'unknown-step-field',
            `a step has no \`${ref.field}\`; use \`steps.${ref.member}.output\` (or \`.status\`, \`.attempts\`)${didYouMean(ref.field, STEP_FIELDS)}`,
            context.step,
            closestData(ref.field, STEP_FIELDS),
          );
          continue;
        }
        const why = this.cannotHaveRun(target, context);
        if (why) {
          referenceProblems++;
          this.report(at(ref.memberStart, ref.memberEnd), 'future-step-ref', why, context.step);
        }
      }
    }
    // Type errors only mean something once every name resolves.
    if (referenceProblems === 0) {
      const typeError = typeCheck(expr);
      if (typeError) this.report(expr.range, 'expression-type', `\`${expr.source}\`: ${typeError}`, context.step);
    }
    for (const problem of expressionProblems(expr)) this.report(offsetRange(expr, problem.start, problem.end), problem.code, problem.message, context.step);
  }

  private inScope(variable: ScopeVariable, context: Context): boolean {
    switch (variable) {
      case 'inputs':
      case 'steps':
      case 'workflow':
      case 'run':
        return true;
      case 'item':
      case 'index':
        return context.inMap;
      case 'output':
        return context.hasOutput;
      default:
        return false;
    }
  }

  private scopeMessage(variable: string, context: Context): string {
    if (variable === 'item' || variable === 'index') return `\`${variable}\` exists only in a step with \`for_each\``;
    if (variable === 'output') {
      return context.step
        ? `\`output\` exists only in \`check\`; elsewhere write \`steps.${context.step.id}.output\``
        : '`output` exists only in `check`; write `steps.<id>.output`';
    }
    const names = ['inputs', 'steps', 'workflow', 'run', ...(context.inMap ? ['item', 'index'] : []), ...(context.hasOutput ? ['output'] : [])];
    return `unknown name \`${variable}\`; an expression can use ${names.map((n) => `\`${n}\``).join(', ')}${didYouMean(variable, names)}`;
  }

  /** Why `target`'s output cannot exist when the expression is evaluated, or undefined when it can. */
  private cannotHaveRun(target: Step, context: Context): string | undefined {
    if (context.anyStep || !context.step) return undefined;
    const from = context.step;
    const fromTop = topLevelOf(this.workflow, from);
    const targetTop = topLevelOf(this.workflow, target);
    if (target.id === from.id) {
      return this.reach.onLoop(fromTop.id)
        ? undefined
        : `step \`${from.id}\` reads its own result, which does not exist yet${context.hasOutput ? ' — in `check`, write `output`' : ''}`;
    }
    if (fromTop.id === targetTop.id) {
      return `\`${target.id}\` runs at the same time as \`${from.id}\` (both are in \`${fromTop.id}\`); read it in a step after \`${fromTop.id}\``;
    }
    if (this.reach.canReach(targetTop.id, fromTop.id)) return undefined;
    return `step \`${target.id}\` cannot have run before \`${from.id}\`: no path leads from it to here — move \`${target.id}\` earlier or read it in a later step`;
  }

  private report(range: SourceRange, code: ProblemCode, message: string, step?: Step, data?: Record<string, unknown>, severity: Problem['severity'] = 'error'): void {
    this.problems.push({ file: this.workflow.file, range, code, severity, message, stepId: step?.id, data });
  }
}

function offsetRange(expr: Expr, start: number, end: number): SourceRange {
  // Expressions are located inside the file; map offsets within the expression onto it.
  const line = expr.range.start.line;
  const sameLine = expr.range.start.line === expr.range.end.line;
  if (!sameLine || expr.range.endOffset - expr.range.offset !== expr.source.length) return expr.range;
  return {
    start: { line, column: expr.range.start.column + start },
    end: { line, column: expr.range.start.column + end },
    offset: expr.range.offset + start,
    endOffset: expr.range.offset + end,
  };
}

function closestData(name: string, candidates: Iterable<string>): Record<string, unknown> | undefined {
  const replacement = closest(name, candidates);
  return replacement ? { replacement } : undefined;
}

function uniqueId(id: string, taken: Map<string, unknown>): string {
  for (let n = 2; ; n++) if (!taken.has(`${id}_${n}`)) return `${id}_${n}`;
}
