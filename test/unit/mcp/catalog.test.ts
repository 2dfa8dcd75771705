// Workflows as tool definitions: names, schemas from inputs and outputs, and the check
// of an agent's arguments.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkWorkflow, type Workflow } from '../../../src/engine';
import { uniqueNames, workflowArguments, workflowToolDefinition, workflowToolName } from '../../../src/engine/tools';
import { loadCatalog } from '../../../src/mcp/catalog';
import { BROKEN, SUMMARISE, TWO_STEPS, workspace } from './support';

function load(text: string, file = 'test.workflow.yaml'): Workflow {
  const { workflow, problems } = checkWorkflow(text, file);
  assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
  return workflow!;
}

describe('tool names', () => {
  test('from the workflow name, else the file name', () => {
    assert.equal(workflowToolName({ name: 'Build a Website', file: 'x' }), 'build_a_website');
    assert.equal(workflowToolName({ name: '  Ünïcode — Ärger!! ', file: 'x' }), 'n_code_rger');
    assert.equal(workflowToolName({ name: '???', file: '/w/My Flow.workflow.yml' }), 'my_flow');
    assert.equal(workflowToolName({ name: '', file: '' }), 'workflow');
    assert.equal(workflowToolName({ name: 'x'.repeat(100) + ' y', file: '' }), 'x'.repeat(64));
  });

  test('always a name clients accept, and unique across a folder (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 20 }), (pairs) => {
        const names = uniqueNames(pairs.map(([name, file]) => workflowToolName({ name, file })));
        return names.every((n) => /^[a-z0-9_]{1,64}$/.test(n)) && new Set(names).size === names.length;
      }),
    );
    assert.deepEqual(uniqueNames(['a', 'a', 'a_2', 'a']), ['a', 'a_2', 'a_2_2', 'a_3']);
  });
});

describe('schemas', () => {
  test('outputs: text templates are strings, a step with output.schema gives its schema, literals their type', () => {
    const definition = workflowToolDefinition(load(SUMMARISE));
    assert.deepEqual(definition.outputSchema.properties, {
      summary: {},
      facts: { anyOf: [{ type: 'object', properties: { facts: { type: 'array', items: { type: 'string' } } }, required: ['facts'] }, { type: 'null' }] },
      words: {},
      label: { type: 'string' },
    });
    assert.deepEqual(definition.outputSchema.required, ['summary', 'facts', 'words', 'label']);
  });

  test('an optional input with no default may be null; an input step can be answered up front', () => {
    const definition = workflowToolDefinition(
      load(`name: Ask
inputs:
  topic: {}
steps:
  - id: confirm
    input: "Publish {{ inputs.topic }}?"
    choices: [yes, no]
outputs:
  answer: "{{ steps.confirm.output }}"
  fixed: 3
`),
    );
    assert.deepEqual(definition.inputSchema.properties.topic, { type: ['string', 'null'] });
    assert.deepEqual(definition.inputSchema.properties.confirm, { description: 'The answer to step `confirm`, which asks: Publish {{ inputs.topic }}?', enum: ['yes', 'no'] });
    assert.equal(definition.inputSchema.required, undefined);
    assert.deepEqual(definition.outputSchema.properties.fixed, { type: 'number' });
    assert.equal(definition.description, 'Runs the Orchestrate workflow “Ask”.');
  });
});

describe('arguments from an agent', () => {
  const workflow = load(SUMMARISE);
  test('are converted to the inputs’ types, with defaults', () => {
    assert.deepEqual(workflowArguments(workflow, { text: 'hi', words: '7' }), { values: { text: 'hi', words: 7, tone: 'plain' } });
    assert.deepEqual(workflowArguments(workflow, { text: 'hi', words: null }), { values: { text: 'hi', words: 12, tone: 'plain' } });
  });

  test('hostile arguments get a message, never a crash (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('text', 'words', 'tone', '__proto__', 'constructor', 'toString', 'x'), fc.anything()), (args) => {
        const checked = workflowArguments(workflow, args);
        return 'values' in checked ? typeof checked.values.text === 'string' : typeof checked.error === 'string' && checked.error.length > 0;
      }),
    );
  });

  test('a __proto__ key is refused, whether an own key or turned into the prototype', () => {
    assert.deepEqual(workflowArguments(workflow, JSON.parse('{"text":"a","__proto__":{"words":1}}') as Record<string, unknown>), { error: 'there is no input `__proto__`; the inputs are `text`, `words`, `tone`' });
    const hijacked = Object.assign(Object.create({ words: 1 }) as Record<string, unknown>, { text: 'a' });
    assert.deepEqual(workflowArguments(workflow, hijacked), { error: 'there is no input `__proto__`' });
    assert.deepEqual(workflowArguments(workflow, Object.assign(Object.create(null) as Record<string, unknown>, { text: 'a' })), { values: { text: 'a', words: 12, tone: 'plain' } });
  });

  test('huge and odd numbers', () => {
    assert.match(JSON.stringify(workflowArguments(workflow, { text: 'a', words: Number.NaN })), /must be a number/);
    assert.match(JSON.stringify(workflowArguments(workflow, { text: 'a', words: Infinity })), /must be a number/);
    assert.deepEqual(workflowArguments(workflow, { text: 'a', words: 1e308 }), { values: { text: 'a', words: 1e308, tone: 'plain' } });
    assert.match(JSON.stringify(workflowArguments(workflow, { text: 5 })), /input `text` must be a string, not `5`/);
  });
});

describe('the catalog of a folder', () => {
  test('finds workflows in subfolders, skips dot-folders and node_modules, leaves broken files out with their position', () => {
    const dir = workspace({
      'a.workflow.yaml': TWO_STEPS,
      'deep/er/b.workflow.yml': SUMMARISE,
      'also/two.workflow.yaml': TWO_STEPS,
      '.hidden/c.workflow.yaml': TWO_STEPS,
      'node_modules/pkg/d.workflow.yaml': TWO_STEPS,
      'broken.workflow.yaml': BROKEN,
      'plain.yaml': TWO_STEPS,
    });
    const { entries, problems } = loadCatalog(dir);
    assert.deepEqual(entries.map((e) => e.definition.name), ['two_steps', 'two_steps_2', 'summarise_text']);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /broken\.workflow\.yaml:4:\d+: unknown-step-ref: .*\(the workflow is not served until it is fixed\)/);
  });
});
