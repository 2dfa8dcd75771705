/**
 * A workflow from a goal: the mock path end to end through the CLI, the skeleton's
 * properties, and the repair loop against the loopback OpenAI-protocol server scripted
 * to return a draft with two problems and then a clean one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { generateWorkflow } from '../../../src/authoring/generate';
import { generatorWorkflowText } from '../../../src/authoring/generator-source';
import { skeletonFromGoal } from '../../../src/authoring/goal-skeleton';
import { main, type Io } from '../../../src/cli/main';
import { checkWorkflow, formatProblem } from '../../../src/engine';
import { createResolver } from '../../../src/engine/providers';
import { OpenAIProvider } from '../../../src/engine/providers/openai';
import { startFakeOpenAI } from '../../support/fake-openai-server';

async function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t), color: false, env: {}, cwd };
  return { code: await main(args, io), out, err };
}

describe('orchestrate new --mock', () => {
  test('a goal becomes a clean, runnable workflow with its explanation as a header comment', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'orchestrate-new-'));
    const made = await cli(['new', '--goal', 'Research a topic, write a blog post about it, then review it for accuracy', '--mock', '--out', 'post.workflow.yaml'], cwd);
    assert.equal(made.code, 0, made.err);
    assert.match(made.err, /draft 1: clean/);
    const text = readFileSync(path.join(cwd, 'post.workflow.yaml'), 'utf8');
    assert.match(text, /^# Goal: Research a topic, write a blog post about it, then review it for accuracy\n#\n# A first draft made from the goal's words/);
    assert.match(text, /- id: research_topic\n[\s\S]*- id: write_blog\n[\s\S]*- id: review_accuracy\n[\s\S]*- id: review_accuracy_gate\n/);
    assert.deepEqual(checkWorkflow(text, 'post.workflow.yaml').problems.map(formatProblem), []);
    const ran = await cli(['run', path.join(cwd, 'post.workflow.yaml'), '--mock', '--no-trace'], cwd);
    assert.equal(ran.code, 0, ran.err);
    assert.match(ran.err, /review_accuracy_gate \(visit 2\).*approved/);
    // The same goal gives the same file.
    const again = await cli(['new', '--goal', 'Research a topic, write a blog post about it, then review it for accuracy', '--mock'], cwd);
    assert.equal(again.out, text);
  });

  test('usage errors: no goal, an existing --out, bad --rounds', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'orchestrate-new-'));
    assert.equal((await cli(['new', '--mock'], cwd)).code, 2);
    assert.equal((await cli(['new', '--goal', '  ', '--mock'], cwd)).code, 2);
    assert.equal((await cli(['new', '--goal', 'x', '--rounds', '0', '--mock'], cwd)).code, 2);
    assert.equal((await cli(['new', '--goal', 'summarize', '--mock', '--out', 'a.workflow.yaml'], cwd)).code, 0);
    const clash = await cli(['new', '--goal', 'summarize', '--mock', '--out', 'a.workflow.yaml'], cwd);
    assert.equal(clash.code, 2);
    assert.match(clash.err, /already exists/);
  });

  test('the generator shipped with the product is itself a clean workflow', () => {
    assert.deepEqual(checkWorkflow(generatorWorkflowText(), 'generator.workflow.yaml').problems.map(formatProblem), []);
  });

  test('any goal, hostile ones included, gives a clean skeleton', () => {
    const word = fc.oneof(fc.constantFrom('review', 'check', 'write', 'then', 'and', 'end', 'fail', 'constructor', '__proto__', 'toString', '{{', '}}', "'", '"', ':', '#', '-', '1st', 'é'), fc.string({ maxLength: 8 }));
    const goal = fc.array(word, { maxLength: 40 }).chain((words) => fc.constantFrom(', ', ' ', '; ', '. ').map((sep) => words.join(sep)));
    fc.assert(
      fc.property(goal, (g) => {
        const { workflow } = skeletonFromGoal(g);
        assert.deepEqual(checkWorkflow(workflow, 'x.workflow.yaml').problems.filter((p) => p.severity === 'error').map(formatProblem), []);
      }),
      { numRuns: 300, seed: 15 },
    );
  });
});

describe('the repair loop against an OpenAI-protocol server', () => {
  test('a draft with two problems goes back with them; the clean second draft is the result', async () => {
    const fake = await startFakeOpenAI({ apiKey: 'sk-test' });
    try {
      const broken = ['name: Draft', 'steps:', '  - id: outline', '    prompt: Outline {{ inputs.topic }}', '  - id: write', '    prompt: "Write from {{ steps.outlin.output }}"', ''].join('\n');
      const clean = ['name: Draft', 'inputs:', '  topic: { default: otters }', 'steps:', '  - id: outline', '    prompt: Outline {{ inputs.topic }}', '  - id: write', '    prompt: "Write from {{ steps.outline.output }}"', ''].join('\n');
      fake.script(
        { kind: 'reply', content: JSON.stringify({ explanation: 'First try.', workflow: broken }) },
        { kind: 'reply', content: JSON.stringify({ explanation: 'Outline, then write from the outline.', workflow: `\`\`\`yaml\n${clean}\`\`\`` }) },
      );
      const provider = new OpenAIProvider({ id: 'openai', baseURL: fake.url, apiKey: 'sk-test' });
      const rounds: string[][] = [];
      const generated = await generateWorkflow({
        goal: 'Outline and write a post about a topic',
        providers: createResolver({ openai: provider }),
        onRound: (_, problems) => rounds.push(problems.filter((p) => p.severity === 'error').map((p) => p.code)),
      });
      assert.equal(generated.rounds, 2);
      assert.deepEqual(rounds[0].sort(), ['unknown-input-ref', 'unknown-step-ref']);
      assert.deepEqual(rounds[1], []);
      // The second request carried the first draft and its problems, as the analyzer words them.
      const second = JSON.stringify(fake.requests.filter((r) => r.body)[1].body);
      assert.match(second, /steps\.outlin\.output/);
      assert.match(second, /unknown-step-ref: there is no step `outlin`/);
      assert.equal(generated.text, `# Goal: Outline and write a post about a topic\n#\n# Outline, then write from the outline.\n\n${clean}`);
      assert.deepEqual(checkWorkflow(generated.text, 'new.workflow.yaml').problems.map(formatProblem), []);
    } finally {
      await fake.close();
    }
  });

  test('a model that never gets it right stops after the last round, problems listed in the header', async () => {
    const fake = await startFakeOpenAI({ apiKey: 'sk-test', reply: JSON.stringify({ explanation: 'Stubborn.', workflow: 'name: x\nsteps:\n  - id: a\n    prompt: "{{ steps.nope.output }}"\n' }) });
    try {
      const generated = await generateWorkflow({ goal: 'anything', providers: createResolver({ openai: new OpenAIProvider({ id: 'openai', baseURL: fake.url, apiKey: 'sk-test' }) }), maxRounds: 2 });
      assert.equal(generated.rounds, 2);
      assert.equal(fake.calls, 2);
      assert.match(generated.text, /# Problems the generator could not fix[\s\S]*unknown-step-ref/);
    } finally {
      await fake.close();
    }
  });
});
