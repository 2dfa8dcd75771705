/**
 * Importers: each fixture (written for these tests) converts to a workflow that
 * matches its golden file (UPDATE_GOLDEN=1 rewrites), validates clean, and runs on
 * the mock provider through the real CLI; what did not map is in the report.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { detectFormat } from '../../../src/authoring/import';
import { main, type Io } from '../../../src/cli/main';
import { checkWorkflow, formatProblem } from '../../../src/engine';

const fixtures = path.resolve(__dirname, '../../fixtures/import');

async function cli(args: string[], cwd = mkdtempSync(path.join(tmpdir(), 'orchestrate-import-'))): Promise<{ code: number; out: string; err: string; cwd: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t), color: false, env: { ORCHESTRATE_USE_MOCK: 'true' }, cwd };
  const code = await main(args, io);
  return { code, out, err, cwd };
}

interface Case {
  fixture: string;
  format: string;
  /** Report lines that must be there (what did not map, and what did). */
  report: RegExp[];
  /** Things the workflow must say. */
  workflow: RegExp[];
}

const cases: Case[] = [
  {
    fixture: 'promptflow/flow.dag.yaml',
    format: 'Prompt flow',
    report: [/not mapped: node `lookup_docs` \(python, lookup_docs\.py\)/, /not mapped: node `answer`: `\{% for doc in docs %\}`/, /filter `\| lower`/, /`presence_penalty`/, /connection `open_ai_connection` → provider `openai`/, /is_chat_history/],
    workflow: [/- id: classify\n[\s\S]*- id: lookup_docs\n[\s\S]*- id: answer\n[\s\S]*- id: summary_prompt/, /name: "PLACEHOLDER: python node lookup_docs"/, /prompt: "A \{\{ steps\.classify\.output \}\} question: \{\{ inputs\.question \}\}"/, /one of: billing, technical, general\./, /answer: "\{\{ steps\.answer\.output \}\}"/],
  },
  {
    fixture: 'greeting.prompty',
    format: 'Prompty',
    report: [/`channel` is used by the template but not declared/, /2 earlier chat turn/, /`frequency_penalty`/],
    workflow: [/system: You are a cheerful assistant\. Address the customer as \{\{ inputs\.firstName \}\}\./, /default: Ada/, /name: gpt-4o-mini/],
  },
  {
    fixture: 'summarize.prompt.yml',
    format: 'GitHub Models',
    report: [/not mapped: testData \(1 row\)/, /not mapped: evaluators \(1\)/, /`jsonSchema` → the step's `output\.schema`/],
    workflow: [/prompt: "Summarize this for \{\{ inputs\.audience \}\}: \{\{ inputs\.input \}\}"/, /max_tokens: 300/, /required:\n\s+- bullets/],
  },
  {
    fixture: 'agent-framework/review-loop.yaml',
    format: 'Agent Framework',
    report: [/not mapped: CreateConversation `new_thread`/, /agents `WriterAgent`, `CriticAgent`, `TranslatorAgent`/],
    workflow: [/switch: '\(steps\.critique\.output == "APPROVED"\) \? "approved"/, /default: write_draft/, /for_each: '\["fr","de"\]'/, /prompt: '\{\{ "Translate into " \+ item/, /- id: publish\n\s+set: "Published: \{\{ steps\.write_draft\.output \}\}"\n\s+next: end/],
  },
];

describe('orchestrate import', () => {
  for (const c of cases) {
    test(`${c.fixture}: a valid workflow that runs on the mock provider, and a report`, async () => {
      const imported = await cli(['import', path.join(fixtures, c.fixture), '--out', 'imported.workflow.yaml']);
      assert.equal(imported.code, 0, imported.err);
      assert.match(imported.err, new RegExp(`\\(${c.format}`));
      const file = path.join(imported.cwd, 'imported.workflow.yaml');
      const text = readFileSync(file, 'utf8');
      const expected = path.join(fixtures, 'expected', `${path.basename(c.fixture).replace(/\.(dag\.yaml|prompty|prompt\.yml|yaml)$/, '')}.workflow.yaml`);
      if (process.env.UPDATE_GOLDEN || !existsSync(expected)) {
        mkdirSync(path.dirname(expected), { recursive: true });
        writeFileSync(expected, text);
      }
      assert.equal(text, readFileSync(expected, 'utf8'));
      for (const pattern of c.report) {
        assert.match(imported.err, pattern);
        assert.match(text, new RegExp(`^# .*${pattern.source}`, 'm'), `the header comment carries ${pattern}`);
      }
      for (const pattern of c.workflow) assert.match(text, pattern);
      assert.deepEqual(checkWorkflow(text, file).problems.map(formatProblem), []);
      const ran = await cli(['run', file, '--mock', '--quiet', '--no-trace'], imported.cwd);
      assert.equal(ran.code, 0, ran.err);
    });
  }

  test('without --out the workflow goes to stdout', async () => {
    const { code, out } = await cli(['import', path.join(fixtures, 'greeting.prompty')]);
    assert.equal(code, 0);
    assert.match(out, /^# Imported from greeting\.prompty/);
  });

  test('the format is recognised from contents when the name does not say', () => {
    assert.equal(detectFormat('x.yaml', readFileSync(path.join(fixtures, 'promptflow/flow.dag.yaml'), 'utf8')), 'promptflow');
    assert.equal(detectFormat('x.yaml', 'messages:\n  - role: user\n    content: hi\n'), 'github-models');
    assert.equal(detectFormat('x.yaml', 'kind: Workflow\ntrigger: { actions: [] }\n'), 'agent-framework');
    assert.equal(detectFormat('x.yaml', 'name: just a mapping\n'), undefined);
  });

  test('an unknown format and broken YAML are clear errors, not stack traces', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-import-bad-'));
    writeFileSync(path.join(dir, 'x.yaml'), 'name: nothing to import\n');
    const unknown = await cli(['import', path.join(dir, 'x.yaml')]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /not a format orchestrate imports/);
    writeFileSync(path.join(dir, 'y.prompt.yml'), 'messages: [\n');
    const broken = await cli(['import', path.join(dir, 'y.prompt.yml')]);
    assert.equal(broken.code, 2);
    assert.doesNotMatch(broken.err, /\n\s+at /);
    assert.equal((await cli(['import'])).code, 2);
  });

  test('hostile input: prototype names, templates outside the flow folder, odd values', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-import-hostile-'));
    writeFileSync(path.join(tmpdir(), 'outside-secret.jinja2'), 'SECRET {{ constructor }}');
    writeFileSync(
      path.join(dir, 'flow.dag.yaml'),
      [
        'inputs:',
        '  constructor: { type: string, default: c }',
        '  __proto__: { type: weird }',
        'outputs:',
        '  toString: { reference: "${hasOwnProperty.output}" }',
        '  valueOf: { reference: "${nowhere.output}" }',
        'nodes:',
        '- name: hasOwnProperty',
        '  type: llm',
        '  source: { type: code, path: ../outside-secret.jinja2 }',
        '  inputs: { constructor: "${inputs.constructor}", temperature: 1e999, max_tokens: -4 }',
        '- name: "1 bad name"',
        '  type: python',
        '  source: { type: code, path: x.py }',
        '  inputs: { a: "${hasOwnProperty.output}" }',
        '',
      ].join('\n'),
    );
    const result = await cli(['import', path.join(dir, 'flow.dag.yaml'), '--out', 'out.workflow.yaml']);
    const text = readFileSync(path.join(result.cwd, 'out.workflow.yaml'), 'utf8');
    assert.doesNotMatch(text, /SECRET/, 'a template outside the flow folder is not read');
    assert.match(result.err, /template \.\.\/outside-secret\.jinja2 — the file was not found/);
    assert.match(result.err, /output `valueOf`/);
    assert.match(result.err, /`temperature: null`|`temperature: Infinity`|temperature/);
    assert.match(text, /- id: step_1_bad_name/);
    assert.match(text, /^ {2}__proto__: \{\}$/m, 'an input named __proto__ is kept as data');
    assert.match(text, /^ {2}constructor:\n/m);
    assert.equal(result.code, 0, result.err);
  });

  test('hostile Agent Framework names: prototype names as ids, agents and variables', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-import-af-'));
    writeFileSync(
      path.join(dir, 'wf.yaml'),
      [
        'kind: Workflow',
        'trigger:',
        '  actions:',
        '    - { kind: SetVariable, id: __proto__, variable: Local.constructor, value: "=1" }',
        '    - { kind: InvokeAzureAgent, id: toString, agent: { name: constructor }, input: { messages: "=Local.constructor" } }',
        '    - kind: ConditionGroup',
        '      id: valueOf',
        '      conditions:',
        '        - { id: __proto__, condition: "=Local.constructor = 1", actions: [ { kind: GotoAction, actionId: nowhere } ] }',
        '',
      ].join('\n'),
    );
    const result = await cli(['import', path.join(dir, 'wf.yaml'), '--out', 'out.workflow.yaml']);
    assert.equal(result.code, 0, result.err);
    const text = readFileSync(path.join(result.cwd, 'out.workflow.yaml'), 'utf8');
    assert.match(text, /- id: __proto__\n/);
    assert.match(text, /^ {2}constructor:\n {4}description: The constructor agent\./m);
    assert.match(text, /cases:\n {6}__proto__: end/);
    assert.match(result.err, /it goes to `nowhere`, which is not an action here/);
  });
});
