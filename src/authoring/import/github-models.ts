/**
 * GitHub Models `.prompt.yml`: messages and model parameters → one prompt step;
 * `{{variable}}` placeholders become inputs (defaults from the first `testData` row).
 * `testData` and `evaluators` have no counterpart yet and are reported.
 */
import { parse } from 'yaml';
import { dict, emitWorkflow } from './emit';
import { modelParams, record, text } from './model-params';
import { ImportReport, type ImportResult, type WorkflowData } from './report';
import { convertTemplate } from './templates';

export function importGitHubModels(source: string, sourceName: string): ImportResult {
  const report = new ImportReport();
  const doc = record(parse(source)) ?? {};
  const testData = Array.isArray(doc.testData) ? doc.testData : [];
  const firstRow = record(testData[0]) ?? {};
  const inputs: Record<string, Record<string, unknown>> = dict();
  const resolve = (name: string, path: string) => {
    if (!Object.hasOwn(inputs, name)) inputs[name] = Object.hasOwn(firstRow, name) ? { default: firstRow[name] } : { required: true };
    return `inputs.${name}${path}`;
  };
  const messages = (Array.isArray(doc.messages) ? doc.messages : []).map((m) => record(m) ?? {});
  const system: string[] = [];
  const turns: string[] = [];
  messages.forEach((message, i) => {
    const content = convertTemplate(text(message.content) ?? '', resolve, report, `messages[${i}]`);
    if (message.role === 'system') system.push(content);
    else turns.push(message.role === 'assistant' ? `Assistant: ${content}` : content);
  });
  if (messages.filter((m) => m.role !== 'system').length > 1) report.skip(`${messages.length} messages`, 'a step sends one user message; the conversation is written into the prompt in order');
  const step: Record<string, unknown> = { id: 'prompt' };
  if (system.length) step.system = system.join('\n\n');
  step.prompt = turns.join('\n\n') || 'Reply.';
  const params = record(doc.modelParameters);
  const model: Record<string, unknown> = { ...modelParams(params, report, 'modelParameters') };
  const modelName = text(doc.model);
  if (modelName) {
    // `openai/gpt-4o-mini`: the part after the publisher is the model name servers know.
    model.name = modelName.includes('/') ? modelName.slice(modelName.indexOf('/') + 1) : modelName;
    report.note(`model \`${modelName}\` → \`${model.name}\` on the default provider (GitHub Models speaks the OpenAI protocol: name it in orchestrate.config.json to call it there)`);
  }
  const schema = record(record(doc.jsonSchema)?.schema) ?? record(doc.jsonSchema);
  if (doc.responseFormat === 'json_schema' && schema) {
    step.output = { schema };
    report.note('`jsonSchema` → the step\'s `output.schema`');
  } else if (doc.responseFormat !== undefined && doc.responseFormat !== 'text') report.skip(`responseFormat \`${text(doc.responseFormat)}\``, 'only `json_schema` (with `jsonSchema`) maps, to `output.schema`');
  if (testData.length > 0) report.skip(`testData (${testData.length} row${testData.length === 1 ? '' : 's'})`, 'workflows have no test cases yet; the first row became the inputs\' defaults');
  if (Array.isArray(doc.evaluators) && doc.evaluators.length > 0) report.skip(`evaluators (${doc.evaluators.length})`, 'workflows have no evaluators yet; a `check:` expression on the step can hold a simple one');
  for (const key of Object.keys(doc)) {
    if (!['name', 'description', 'model', 'modelParameters', 'messages', 'testData', 'evaluators', 'responseFormat', 'jsonSchema'].includes(key)) report.skip(`\`${key}\``, 'no counterpart in a workflow');
  }
  const data: WorkflowData = {
    name: text(doc.name) ?? sourceName.replace(/\.prompt\.ya?ml$/, ''),
    description: text(doc.description),
    inputs,
    model,
    steps: [step],
    outputs: { reply: '{{ steps.prompt.output }}' },
  };
  return { format: 'github-models', text: emitWorkflow(data, 'github-models', sourceName, report), report };
}
