/**
 * Semantic analysis: what the schema cannot see. Duplicate ids, references to
 * steps, inputs and workers that do not exist or cannot have run yet, transitions
 * to nowhere, unreachable steps, and CEL syntax and type errors — each with its
 * location, a stable code and what to write instead.
 */
import { ExpressionError, compile, expressionProblems, references, typeCheck, type ScopeVariable } from './expressions';
import { allSteps, isTerminal } from './graph';
import { canRead, graphOf, scopeAt, type ExpressionField, type ExpressionScope } from './scope-rules';
import type { SourceMap } from './source';
import { subWorkflowProblems } from './uses';
import type { WorkflowFiles } from './workflow-files';
import { didYouMean, closest } from './suggest';
import type { Expr, Problem, ProblemCode, SourceRange, Step, Template, TemplateValue, Workflow } from './types';

/** The fields of `steps.<id>` that expressions may read. */
export const STEP_FIELDS = ['output', 'status', 'attempts'] as const;

export interface AnalyzeOptions {
  /** The files `uses:` names; omitted, sub-workflows are not checked. */
  files?: WorkflowFiles;
  /** The text the workflow was loaded from: problems inside multi-line expressions point at the name, not the scalar. */
  source?: SourceMap;
}

export function analyzeWorkflow(workflow: Workflow, options: AnalyzeOptions = {}): Problem[] {
  return new Analyzer(workflow, options).run();
}

class Analyzer {
  private readonly problems: Problem[] = [];
  private readonly steps: Step[];
  private readonly inputNames: Set<string>;
  private readonly topIds: Set<string>;

  constructor(
    private readonly workflow: Workflow,
    private readonly options: AnalyzeOptions,
  ) {
    this.steps = allSteps(workflow.steps);
    this.inputNames = new Set(workflow.inputs.map((input) => input.name));
    this.topIds = new Set(workflow.steps.map((step) => step.id));
  }

  run(): Problem[] {
    this.duplicates();
    this.unreachable();
    for (const step of this.steps) this.step(step);
    for (const worker of Object.values(this.workflow.workers)) {
      this.template(worker.system, scopeAt(this.workflow, undefined, 'body'));
    }
    for (const value of Object.values(this.workflow.outputs)) {
      this.templateValue(value, scopeAt(this.workflow, undefined, 'body'));
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
    const { reachable } = graphOf(this.workflow);
    for (const step of this.workflow.steps) {
      if (!reachable.has(step.id)) {
        this.report(step.idRange, 'unreachable-step', `step \`${step.id}\` can never run: no step leads to it (check the \`next\`, \`on_success\`, \`switch\` and \`end\` keys before it)`, step, undefined, 'warning');
      }
    }
  }

  private step(step: Step): void {
    const at = (field: ExpressionField) => scopeAt(this.workflow, step, field);
    const base = at('body');
    if (step.forEach) this.expression(step.forEach, at('for_each'));
    if (step.if) this.expression(step.if, at('if'));
    if (step.check) this.expression(step.check, at('check'));
    if (step.mock) this.templateValue(step.mock, base);
    this.template(step.fail, at('fail'));
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
        if (step.tools) for (const pattern of step.tools.patterns) this.toolServer(pattern.split('.')[0], step.tools.range, step, true);
        break;
      case 'tool':
        for (const value of Object.values(step.with)) this.templateValue(value, base);
        this.toolServer(step.tool.server, step.tool.range, step, false);
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
        if (this.options.files) this.problems.push(...subWorkflowProblems(this.workflow, step, this.options.files));
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

  /** A tool's server must be named under `mcp:` (declared there, or `{}` for the workspace's), so a run knows it up front. */
  private toolServer(server: string, range: SourceRange, step: Step, pattern: boolean): void {
    if (pattern && (server === '*' || server.includes('*'))) return;
    const mcp = this.workflow.mcp;
    const known = [...(mcp?.declarations.keys() ?? []), ...(mcp?.references ?? [])];
    if (known.includes(server)) return;
    const hint = didYouMean(server, known);
    const fix = hint || `; name it under \`mcp:\` (with \`command\`/\`url\`, or \`${server}: {}\` for the one the workspace configures)${known.length > 0 ? ` — servers: ${known.join(', ')}` : ''}`;
    this.report(range, 'unknown-tool-server', `no MCP server \`${server}\` is named under \`mcp:\`${fix}`, step, closestData(server, known));
  }

  private templateValue(value: TemplateValue | undefined, context: ExpressionScope): void {
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

  private template(template: Template | undefined, context: ExpressionScope): void {
    if (!template) return;
    for (const part of template.parts) if ('expr' in part) this.expression(part.expr, context);
  }

  private expression(expr: Expr, context: ExpressionScope): void {
    try {
      this.checkExpression(expr, context);
    } catch (error) {
      // A very long flat chain (`a + b + …`, thousands of terms) is deeper than the call
      // stack of the parser or the checker: say so where it is, instead of crashing.
      if (!(error instanceof RangeError)) throw error;
      this.report(expr.range, 'expression-syntax', 'this expression is too long or too deeply nested to check; split it over several `set:` steps', context.step);
    }
  }

  private checkExpression(expr: Expr, context: ExpressionScope): void {
    try {
      compile(expr);
    } catch (error) {
      if (error instanceof ExpressionError) {
        this.report(expr.range, error.problemCode, error.message, context.step);
        return;
      }
      throw error;
    }
    let referenceProblems = 0;
    for (const ref of references(expr)) {
      const at = (start = ref.start, end = ref.end) => offsetRange(expr, start, end, this.options.source);
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
    for (const problem of expressionProblems(expr)) this.report(offsetRange(expr, problem.start, problem.end, this.options.source), problem.code, problem.message, context.step);
  }

  private inScope(variable: ScopeVariable, context: ExpressionScope): boolean {
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

  private scopeMessage(variable: string, context: ExpressionScope): string {
    if (variable === 'item' || variable === 'index') return `\`${variable}\` exists only in a step with \`for_each\` (not in its own \`if\`, \`for_each\` and \`fail\`) and in the branches of a \`parallel\` step with \`for_each\``;
    if (variable === 'output') {
      return context.step
        ? `\`output\` exists only in \`check\`; elsewhere write \`steps.${context.step.id}.output\``
        : '`output` exists only in `check`; write `steps.<id>.output`';
    }
    const names = ['inputs', 'steps', 'workflow', 'run', ...(context.inMap ? ['item', 'index'] : []), ...(context.hasOutput ? ['output'] : [])];
    return `unknown name \`${variable}\`; an expression can use ${names.map((n) => `\`${n}\``).join(', ')}${didYouMean(variable, names)}`;
  }

  /** Why `target`'s result cannot exist when the expression is evaluated, or undefined when it can. */
  private cannotHaveRun(target: Step, context: ExpressionScope): string | undefined {
    const verdict = canRead(this.workflow, context.step, target, context);
    return verdict.readable ? undefined : verdict.why;
  }

  private report(range: SourceRange, code: ProblemCode, message: string, step?: Step, data?: Record<string, unknown>, severity: Problem['severity'] = 'error'): void {
    this.problems.push({ file: this.workflow.file, range, code, severity, message, stepId: step?.id, data });
  }
}

function offsetRange(expr: Expr, start: number, end: number, source: SourceMap | undefined): SourceRange {
  // Expressions are located inside the file; map offsets within the expression onto it.
  if (expr.offsets) {
    if (!source || end > expr.source.length) return expr.range;
    return source.range(expr.offsets[start], end > start ? expr.offsets[end - 1] + 1 : expr.offsets[start]);
  }
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
