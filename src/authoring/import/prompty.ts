/**
 * `.prompty` files: YAML front matter (name, model, inputs, sample) and a chat
 * template body → a workflow with one prompt step. Template variables become inputs.
 */
import { parse } from 'yaml';
import { dict, emitWorkflow, inputType } from './emit';
import { modelParams, record, text } from './model-params';
import { ImportReport, type ImportResult, type WorkflowData } from './report';
import { convertTemplate, splitRoles } from './templates';

export function importPrompty(source: string, sourceName: string): ImportResult {
  const report = new ImportReport();
  const match = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(source);
  if (!match) throw new Error(`${sourceName}: a .prompty file starts with front matter between \`---\` lines`);
  const front = record(parse(match[1])) ?? {};
  const body = match[2];
  const inputs: Record<string, Record<string, unknown>> = dict();
  const sample = record(front.sample) ?? {};
  for (const [name, spec] of Object.entries(record(front.inputs) ?? {})) {
    const def = record(spec) ?? { default: spec };
    const input: Record<string, unknown> = {};
    if (text(def.description)) input.description = text(def.description);
    const type = inputType(def.type);
    if (type) input.type = type;
    const value = def.default ?? def.sample ?? sample[name];
    if (value !== undefined) input.default = value;
    inputs[name] = input;
  }
  for (const [name, value] of Object.entries(sample)) if (!Object.hasOwn(inputs, name)) inputs[name] = { default: value };
  // Variables the template uses but the front matter does not declare become inputs too.
  const resolve = (name: string, path: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
    if (!Object.hasOwn(inputs, name)) {
      inputs[name] = {};
      report.note(`\`${name}\` is used by the template but not declared: made an input`);
    }
    return `inputs.${name}${path}`;
  };
  const sections = splitRoles(convertTemplate(body, resolve, report, 'body'), report, 'body');
  const model = record(front.model) ?? {};
  const configuration = record(model.configuration) ?? {};
  const settings: Record<string, unknown> = { ...modelParams(record(model.parameters), report, 'model.parameters') };
  const name = text(configuration.azure_deployment) ?? text(configuration.model) ?? text(configuration.name);
  if (name) settings.name = name;
  if (configuration.type) report.note(`model.configuration.type \`${text(configuration.type)}\` → provider \`openai\` (name another server in orchestrate.config.json)`);
  for (const key of Object.keys(front)) {
    if (!['name', 'description', 'model', 'inputs', 'sample', 'outputs', 'authors', 'version', 'tags', 'template'].includes(key)) report.skip(`front matter \`${key}\``, 'no counterpart in a workflow');
  }
  if (front.outputs) report.skip('front matter `outputs`', 'the step returns the model\'s reply; declare `output.schema` for structured output');
  if (front.template !== undefined && !['jinja2', 'mustache'].includes(text(record(front.template)?.format ?? front.template) ?? '')) report.skip('front matter `template`', 'only Jinja2 and Mustache variables are converted');
  const step: Record<string, unknown> = { id: 'prompt' };
  if (sections.system) step.system = sections.system;
  step.prompt = sections.prompt || 'Reply.';
  const data: WorkflowData = {
    name: text(front.name) ?? sourceName.replace(/\.prompty$/, ''),
    description: text(front.description),
    inputs,
    model: settings,
    steps: [step],
    outputs: { reply: '{{ steps.prompt.output }}' },
  };
  return { format: 'prompty', text: emitWorkflow(data, 'prompty', sourceName, report), report };
}
