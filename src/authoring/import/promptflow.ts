/**
 * Prompt flow `flow.dag.yaml`: inputs, outputs, and nodes in dependency order.
 * `llm` and `prompt` nodes become prompt and set steps with their Jinja templates
 * converted (`${inputs.x}` → `inputs.x`, `${node.output}` → `steps.node.output`);
 * Python and other tool nodes become clearly marked placeholder steps.
 */
import { parse } from 'yaml';
import { dict, emitWorkflow, inputType, stepIdFrom } from './emit';
import { modelParams, record, text } from './model-params';
import { ImportReport, type ImportResult, type WorkflowData } from './report';
import { convertTemplate, splitRoles } from './templates';

/** Reads a file next to the flow (a node's template); undefined when it is missing. */
export type ReadSibling = (relativePath: string) => string | undefined;

const LLM_KEYS = new Set(['deployment_name', 'model', 'temperature', 'max_tokens', 'top_p', 'stop', 'seed', 'response_format', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'user', 'suffix', 'echo', 'best_of', 'logprobs', 'n', 'max_completion_tokens']);

interface FlowNode {
  name: string;
  id: string;
  spec: Record<string, unknown>;
  reads: string[];
}

export function importPromptFlow(source: string, sourceName: string, readSibling: ReadSibling): ImportResult {
  const report = new ImportReport();
  const flow = record(parse(source)) ?? {};
  const taken = new Set<string>();
  const nodes: FlowNode[] = (Array.isArray(flow.nodes) ? flow.nodes : []).map((raw, i) => {
    const spec = record(raw) ?? {};
    const name = text(spec.name) ?? `node_${i + 1}`;
    return { name, id: stepIdFrom(name, taken), spec, reads: [] };
  });
  const byName = new Map(nodes.map((node) => [node.name, node]));
  /** `${inputs.x}` / `${node.output.a}` → an expression; undefined when it is not a reference. */
  const reference = (value: unknown): string | undefined => {
    const match = typeof value === 'string' ? /^\$\{\s*([^.}\s]+)((?:\.[^.}\s]+)*)\s*\}$/.exec(value) : null;
    if (!match) return undefined;
    const [, head, rest] = match;
    if (head === 'inputs') return `inputs${rest}`;
    const node = byName.get(head);
    if (!node) return undefined;
    return `steps.${node.id}${rest || '.output'}`;
  };

  const inputs: Record<string, Record<string, unknown>> = dict();
  for (const [name, spec] of Object.entries(record(flow.inputs) ?? {})) {
    const def = record(spec) ?? {};
    const input: Record<string, unknown> = {};
    if (text(def.description)) input.description = text(def.description);
    const type = inputType(def.type);
    if (type) input.type = type;
    else if (def.type !== undefined) report.skip(`input \`${name}\` of type \`${text(def.type)}\``, 'no such input type; left untyped');
    if (def.default !== undefined) input.default = def.default;
    if (def.is_chat_input || def.is_chat_history) report.skip(`input \`${name}\`: is_chat_input / is_chat_history`, 'a workflow run is not a chat session; it is an ordinary input');
    inputs[name] = input;
  }

  for (const node of nodes) {
    for (const value of Object.values(record(node.spec.inputs) ?? {})) {
      const head = typeof value === 'string' ? /^\$\{\s*([^.}\s]+)/.exec(value)?.[1] : undefined;
      if (head && head !== 'inputs' && byName.has(head)) node.reads.push(head);
    }
  }
  const ordered = topological(nodes, byName, report);
  const steps = ordered.map((node) => convertNode(node, reference, readSibling, report));

  const outputs: Record<string, unknown> = dict();
  for (const [name, spec] of Object.entries(record(flow.outputs) ?? {})) {
    const expr = reference(record(spec)?.reference);
    if (expr) outputs[name] = `{{ ${expr} }}`;
    else report.skip(`output \`${name}\``, `its reference \`${text(record(spec)?.reference) ?? ''}\` names no input or node`);
  }
  for (const key of Object.keys(flow)) {
    if (!['inputs', 'outputs', 'nodes', '$schema', 'environment'].includes(key)) report.skip(`\`${key}\``, 'no counterpart in a workflow');
  }
  if (flow.environment) report.skip('`environment`', 'Python requirements belong to the placeholder steps\' replacements');
  if (steps.length === 0) steps.push({ id: 'empty', set: 'The flow had no nodes.' });
  const data: WorkflowData = { name: sourceName.replace(/[\\/]?flow\.dag\.ya?ml$/, '').split(/[\\/]/).pop() || 'Imported flow', inputs, steps, outputs };
  return { format: 'promptflow', text: emitWorkflow(data, 'promptflow', sourceName, report), report };
}

/** Nodes so that each comes after the nodes it reads; a cycle keeps file order and is reported. */
function topological(nodes: FlowNode[], byName: Map<string, FlowNode>, report: ImportReport): FlowNode[] {
  const out: FlowNode[] = [];
  const state = new Map<FlowNode, 'visiting' | 'done'>();
  const visit = (node: FlowNode) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'visiting') {
      report.skip(`node \`${node.name}\``, 'it is part of a dependency cycle; file order kept');
      return;
    }
    state.set(node, 'visiting');
    for (const name of node.reads) visit(byName.get(name)!);
    state.set(node, 'done');
    out.push(node);
  };
  nodes.forEach(visit);
  return out;
}

function convertNode(node: FlowNode, reference: (value: unknown) => string | undefined, readSibling: ReadSibling, report: ImportReport): Record<string, unknown> {
  const { spec } = node;
  const type = text(spec.type) ?? '';
  const source = record(spec.source) ?? {};
  const where = `node \`${node.name}\``;
  const nodeInputs = record(spec.inputs) ?? {};
  const step: Record<string, unknown> = { id: node.id };
  if (spec.activate !== undefined) report.skip(`${where}: activate`, 'write it as the step\'s `if:` expression by hand');
  if (spec.aggregation) report.skip(`${where}: aggregation`, 'batch aggregation has no counterpart');
  if (type !== 'llm' && type !== 'prompt') {
    const path = text(source.path) ?? text(source.tool) ?? '';
    step.name = `PLACEHOLDER: ${type || 'unknown'} node ${node.name}`;
    step.description = `Imported from a Prompt flow ${type || 'unknown'} node (${path || 'no source'}); replace this step with a prompt, a set step or a sub-workflow.`;
    const passed = Object.entries(nodeInputs).map(([key, value]) => [key, reference(value) ? `{{ ${reference(value)} }}` : value]);
    step.set = { placeholder: `${type} node \`${node.name}\` not converted`, inputs: Object.fromEntries(passed) };
    report.skip(`${where} (${type || 'no type'}${path ? `, ${path}` : ''})`, 'code runs outside the workflow language; a placeholder `set` step passes its inputs through');
    return step;
  }
  const templatePath = text(source.path);
  const template = templatePath ? readSibling(templatePath) : undefined;
  if (template === undefined) report.skip(`${where}: template ${templatePath ?? '(none)'}`, 'the file was not found next to the flow; the prompt is a placeholder');
  const resolve = (name: string, path: string) => {
    if (!Object.hasOwn(nodeInputs, name)) return undefined;
    const value = nodeInputs[name];
    const expr = reference(value);
    if (expr) return `${expr}${path}`;
    // A literal bound to a template variable is written into the text.
    return { literal: typeof value === 'string' ? value : JSON.stringify(value ?? null) };
  };
  const converted = convertTemplate(template ?? `Placeholder for ${node.name}: its template was not found.`, resolve, report, where);
  if (type === 'prompt') {
    step.set = converted.trim();
    return step;
  }
  const sections = splitRoles(converted, report, where);
  if (sections.system) step.system = sections.system;
  step.prompt = sections.prompt || 'Reply.';
  const params: Record<string, unknown> = dict();
  for (const [key, value] of Object.entries(nodeInputs)) if (LLM_KEYS.has(key) && !reference(value)) params[key] = value;
  const model: Record<string, unknown> = modelParams(Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'deployment_name' && k !== 'model')), report, where);
  const modelName = text(params.deployment_name) ?? text(params.model);
  if (modelName) model.name = modelName;
  const connection = text(spec.connection);
  if (connection) report.note(`${where}: connection \`${connection}\` → provider \`openai\` (for Azure or another server, name it in orchestrate.config.json and set \`model.provider\`)`);
  if (text(spec.api) && spec.api !== 'chat') report.skip(`${where}: api \`${text(spec.api)}\``, 'steps use the chat API');
  if (Object.keys(model).length > 0) step.model = model;
  return step;
}
