/**
 * Agent Framework declarative workflows (`kind: Workflow`, a trigger with `actions`):
 * SetVariable → `set`, agent invocations → prompt steps with the agent as a worker,
 * ConditionGroup → `switch` with each branch laid out after it, Foreach → `for_each`,
 * GotoAction and EndWorkflow → transitions, SendActivity → `set`. Power Fx values
 * (`=…`) become CEL; a variable reads the step that last set it.
 */
import { parse } from 'yaml';
import { dict, emitWorkflow, stepIdFrom } from './emit';
import { record, text } from './model-params';
import { powerFxToCel } from './power-fx';
import { ImportReport, type ImportResult, type WorkflowData } from './report';

type Step = Record<string, unknown>;
/** A target known only once the steps after it exist. */
class Later {
  constructor(readonly get: () => string) {}
}

interface Scope {
  /** Loop variables inside a Foreach: `Local.Item` → `item`. */
  loop: Map<string, string>;
}

const MESSAGE_VARIABLES = new Set(['System.LastMessage.Text', 'System.LastMessageText', 'System.LastMessage']);

export function importAgentFramework(source: string, sourceName: string): ImportResult {
  const report = new ImportReport();
  const doc = record(parse(source)) ?? {};
  const trigger = record(doc.trigger) ?? doc;
  const actions = Array.isArray(trigger.actions) ? trigger.actions : [];
  const taken = new Set<string>();
  const steps: Step[] = [];
  const workers: Record<string, Record<string, unknown>> = dict();
  const inputs: Record<string, Record<string, unknown>> = dict();
  /** Variable → the step that set it most recently (in document order). */
  const setters = new Map<string, string>();
  const byActionId = new Map<string, string>();
  const setCount = new Map<string, number>();

  const cel = (value: unknown, scope: Scope, where: string): string => {
    const source = typeof value === 'string' && value.startsWith('=') ? value.slice(1) : JSON.stringify(value ?? null);
    const result = powerFxToCel(source, (name) => {
      if (scope.loop.has(name)) return scope.loop.get(name);
      if (MESSAGE_VARIABLES.has(name)) {
        inputs.message ??= { description: 'The message the workflow starts from (System.LastMessage.Text).', default: 'Hello' };
        return 'inputs.message';
      }
      const setter = setters.get(name);
      return setter ? `steps.${setter}.output` : undefined;
    });
    if ('cel' in result) return result.cel;
    report.skip(`${where}: \`${String(value)}\``, `${result.error} has no counterpart; replaced by \`null\``);
    return 'null';
  };
  /** A value: `=expr` → a one-expression template; a literal stays as it is. */
  const valueOf = (value: unknown, scope: Scope, where: string): unknown => (typeof value === 'string' && value.startsWith('=') ? `{{ ${cel(value, scope, where)} }}` : value);
  /** `Hello {Local.Name}` (Power Fx string interpolation in activities) → `Hello {{ … }}`. */
  const templateOf = (value: unknown, scope: Scope, where: string): string => {
    if (typeof value === 'string' && value.startsWith('=')) return `{{ ${cel(value, scope, where)} }}`;
    return (text(value) ?? '').replace(/\{([^{}]+)\}/g, (_, inner: string) => `{{ ${cel(`=${inner}`, scope, where)} }}`);
  };
  const newStep = (action: Record<string, unknown>, fallback: string): Step => {
    const actionId = text(action.id);
    const id = stepIdFrom(actionId ?? fallback, taken);
    if (actionId) byActionId.set(actionId, id);
    return { id };
  };
  const recordSetter = (variable: string | undefined, id: string) => {
    if (!variable) return;
    setCount.set(variable, (setCount.get(variable) ?? 0) + 1);
    setters.set(variable, id);
  };

  /** Converts a list of actions; `after` is where control goes when the list is done. */
  const convertList = (list: unknown[], scope: Scope, after: Later): { entry: Later; steps: Step[] } => {
    type Item = { jump: string | Later } | { steps: Step[] };
    const items: Item[] = [];
    // Where control goes after item `i`: the next jump's target, the next item's first step, or `after`.
    const follow = (i: number) =>
      new Later(() => {
        const next = items[i + 1];
        if (!next) return resolve(after);
        return 'jump' in next ? resolve(next.jump) : String(next.steps[0].id);
      });
    for (const [index, raw] of list.entries()) {
      const action = record(raw) ?? {};
      const kind = text(action.kind) ?? '';
      const where = `${kind || 'action'} \`${text(action.id) ?? index}\``;
      if (kind === 'GotoAction') {
        const target = text(action.actionId) ?? '';
        items.push({ jump: new Later(() => byActionId.get(target) ?? (report.skip(where, `it goes to \`${target}\`, which is not an action here; it ends the run instead`), 'end')) });
      } else if (kind === 'EndWorkflow' || kind === 'EndConversation' || kind === 'EndDialog') {
        items.push({ jump: 'end' });
      } else {
        const converted = convertAction(action, kind, where, scope, follow(items.length));
        if (converted.length > 0) items.push({ steps: converted });
      }
    }
    const out: Step[] = [];
    items.forEach((item, i) => {
      if ('jump' in item) return;
      out.push(...item.steps);
      // The item's own last step goes on explicitly unless it already jumps (a switch jumps by its cases).
      const last = item.steps[item.steps.length - 1];
      if (last.next === undefined && last.switch === undefined) last.next = follow(i);
    });
    const entry = new Later(() => {
      const first = items[0];
      if (!first) return resolve(after);
      return 'jump' in first ? resolve(first.jump) : String(first.steps[0].id);
    });
    return { entry, steps: out };
  };
  const resolve = (target: string | Later): string => (target instanceof Later ? target.get() : target);

  const convertAction = (action: Record<string, unknown>, kind: string, where: string, scope: Scope, after: Later): Step[] => {
    if (kind === 'SetVariable' || kind === 'SetTextVariable') {
      const step = newStep(action, 'set');
      const variable = text(action.variable);
      const own = String(step.id);
      // `Local.Round = Local.Round + 1` in a loop: on a later visit the value is this step's own last one.
      const previous = variable ? setters.get(variable) : undefined;
      const counter = new Map(scope.loop);
      if (variable) counter.set(variable, `(has(steps.${own}.output) && steps.${own}.output != null ? steps.${own}.output : ${previous ? `steps.${previous}.output` : 'null'})`);
      step.set = valueOf(action.value, { loop: counter }, where) ?? null;
      recordSetter(variable, own);
      return [step];
    }
    if (/^Invoke\w*Agent$/.test(kind)) {
      const step = newStep(action, 'agent');
      const agent = text(record(action.agent)?.name) ?? text(action.agent) ?? 'agent';
      const worker = stepIdFrom(agent, new Set());
      workers[worker] ??= { description: `The ${agent} agent.`, system: `You are ${agent}.` };
      step.worker = worker;
      const input = record(action.input) ?? {};
      const messages = input.messages ?? action.message ?? action.prompt;
      step.prompt = messages === undefined ? 'Continue.' : templateOf(messages, scope, where);
      if (messages === undefined) report.skip(`${where}: no input messages`, 'the agent saw the conversation so far; a step sees only its prompt, so the prompt is a placeholder');
      for (const key of Object.keys(input)) if (key !== 'messages') report.skip(`${where}: input.${key}`, 'no counterpart on a prompt step');
      if (text(input.additionalInstructions)) step.system = text(input.additionalInstructions);
      recordSetter(text(record(action.output)?.messages) ?? text(action.resultVariable), String(step.id));
      return [step];
    }
    if (kind === 'SendActivity') {
      const step = newStep(action, 'send');
      step.set = templateOf(text(record(action.activity)?.text) ?? action.activity, scope, where);
      return [step];
    }
    if (kind === 'ConditionGroup') {
      const step = newStep(action, 'condition');
      const conditions = (Array.isArray(action.conditions) ? action.conditions : []).map((c) => record(c) ?? {});
      const labels: string[] = [];
      for (const [i, condition] of conditions.entries()) labels.push(stepIdFrom(text(condition.id) ?? `case_${i + 1}`, new Set(labels)));
      // Conditions read the variables as they are before any branch runs.
      step.switch = conditions.reduceRight((rest, condition, i) => `(${cel(condition.condition, scope, `${where} condition ${i + 1}`)}) ? "${labels[i]}" : ${rest}`, '"else"');
      const laid: Step[] = [];
      const cases: Record<string, Later> = dict();
      conditions.forEach((condition, i) => {
        const branch = convertList(Array.isArray(condition.actions) ? condition.actions : [], scope, after);
        laid.push(...branch.steps);
        cases[labels[i]] = branch.entry;
      });
      const otherwise = convertList(Array.isArray(action.elseActions) ? action.elseActions : [], scope, after);
      laid.push(...otherwise.steps);
      step.cases = cases;
      step.default = otherwise.entry;
      return [step, ...laid];
    }
    if (kind === 'Foreach') {
      const step = newStep(action, 'foreach');
      const body = Array.isArray(action.actions) ? action.actions.map((a) => record(a) ?? {}) : [];
      const loop = new Map(scope.loop);
      if (text(action.value)) loop.set(text(action.value)!, 'item');
      if (text(action.index)) loop.set(text(action.index)!, 'index');
      step.for_each = cel(action.items, scope, `${where} items`);
      const only = body.length === 1 ? convertAction(body[0], text(body[0].kind) ?? '', `${where} body`, { loop }, after) : [];
      if (only.length === 1 && (only[0].prompt !== undefined || only[0].set !== undefined)) {
        const { id: _bodyId, next: _next, ...rest } = only[0];
        Object.assign(step, rest);
        for (const [variable, setter] of setters) if (setter === _bodyId) setters.set(variable, String(step.id));
        return [step];
      }
      report.skip(where, 'a `for_each` step runs one step per item; a body of several actions needs a sub-workflow (`uses:`) — a placeholder runs instead');
      step.set = `PLACEHOLDER: the ${body.length} actions of this loop, for {{ item }}`;
      step.name = `PLACEHOLDER: Foreach ${text(action.id) ?? ''}`.trim();
      return [step];
    }
    const step = newStep(action, 'action');
    step.name = `PLACEHOLDER: ${kind || 'unknown action'}`;
    step.set = `PLACEHOLDER: ${kind || 'an action'} was not converted`;
    report.skip(where, 'no counterpart in the workflow language; a placeholder `set` step keeps its place');
    return [step];
  };

  const top = convertList(actions, { loop: new Map() }, new Later(() => 'end'));
  steps.push(...top.steps);
  for (const [variable, count] of setCount) if (count > 1) report.note(`\`${variable}\` is set by ${count} actions: each read uses the nearest one before it in the file`);
  if (steps.length === 0) steps.push({ id: 'empty', set: 'The workflow had no actions.' });
  // Every pending target is known now; the last step's "go to the end" is implied.
  for (const step of steps) {
    for (const key of ['next', 'default'] as const) if (step[key] instanceof Later || typeof step[key] === 'string') step[key] = resolve(step[key] as string | Later);
    if (record(step.cases)) step.cases = Object.fromEntries(Object.entries(record(step.cases)!).map(([k, v]) => [k, resolve(v as Later)]));
  }
  const lastStep = steps[steps.length - 1];
  if (lastStep.next === 'end') delete lastStep.next;
  for (const key of Object.keys(doc)) if (!['kind', 'trigger', 'name', 'description', 'id'].includes(key)) report.skip(`\`${key}\``, 'no counterpart in a workflow');
  const data: WorkflowData = {
    name: text(doc.name) ?? text(trigger.id) ?? sourceName.replace(/\.ya?ml$/, ''),
    description: text(doc.description),
    inputs,
    workers,
    steps,
    outputs: lastStep ? { result: `{{ steps.${String(lastStep.id)}.output }}` } : undefined,
  };
  if (Object.keys(workers).length > 0) report.skip(`agents ${Object.keys(workers).map((w) => `\`${w}\``).join(', ')}`, 'their instructions and tools live in the agent service, not in this file; each became a worker with a placeholder `system:` to fill in');
  return { format: 'agent-framework', text: emitWorkflow(data, 'agent-framework', sourceName, report), report };
}
