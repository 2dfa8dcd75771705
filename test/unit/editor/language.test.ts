// The editor's pure language functions (src/extension/language): completion, hover,
// navigation, lenses and quick fixes, on text with a `¦` marking the cursor.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/engine';
import { completionsAt, type CompletionOptions } from '../../../src/extension/language/completion';
import { referenceHoverAt, scheduleHoverAt, schemaHoverAt } from '../../../src/extension/language/hover';
import { computeLenses } from '../../../src/extension/language/lenses';
import { definitionAt, prepareRename, referencesAt, renameEdits } from '../../../src/extension/language/navigation';
import { parseWorkflow, staleOffset } from '../../../src/extension/language/parsed';
import { quickFixFor } from '../../../src/extension/language/quick-fixes';
import { statusOfEvents, statusTitle } from '../../../src/extension/language/status';
import { stepSymbols } from '../../../src/extension/language/symbols';
import { yamlContextAt } from '../../../src/extension/language/yaml-context';

const WORKFLOW = `name: Test
inputs:
  topic:
    description: What to write about
    default: rockets
  tone:
    type: string
    choices: [formal, casual]
workers:
  writer:
    system: You write.
steps:
  - id: classify
    prompt: Classify {{ inputs.topic }}
    output:
      schema:
        type: object
        properties:
          category: { type: string, enum: [a, b] }
          tags: { type: array, items: { type: object, properties: { label: { type: string } } } }
        required: [category]
  - id: research
    parallel:
      - id: market
        prompt: Market for {{ inputs.topic }}
      - id: risks
        prompt: Risks of {{ steps.classify.output.category }}
  - id: each
    for_each: steps.classify.output.tags
    prompt: "Write about {{ item.label }}"
  - id: review
    worker: writer
    prompt: |
      Review {{ steps.market.output }} and {{ steps.each.output }}
    check: output.contains("OK")
    on_failure: classify
  - id: done
    set: "{{ steps.review.output }}"
outputs:
  result: "{{ steps.done.output }}"
`;

const FILE = '/tmp/test.workflow.yaml';
const ALL: CompletionOptions = { schemaItems: true };

/** Text with `¦` at the cursor → text without it and the offset. */
function cursor(text: string): { text: string; offset: number } {
  const offset = text.indexOf('¦');
  assert.ok(offset >= 0, 'no ¦ cursor marker');
  return { text: text.slice(0, offset) + text.slice(offset + 1), offset };
}

/** WORKFLOW with `marker` replaced by `replacement` (which holds the `¦`). */
function edited(marker: string, replacement: string): { text: string; offset: number } {
  assert.ok(WORKFLOW.includes(marker), `fixture lacks ${marker}`);
  return cursor(WORKFLOW.replace(marker, replacement));
}

function labels(text: string, offset: number, options = ALL): string[] {
  const model = parseWorkflow(WORKFLOW, FILE);
  return completionsAt(text, offset, model, options).map((c) => c.label);
}

describe('yaml context', () => {
  it('finds the mapping of a key typed in a step, in a nested list', () => {
    const { text, offset } = edited('      - id: risks\n', '      - id: risks\n        pro¦\n');
    const context = yamlContextAt(text, offset);
    assert.equal(context.kind, 'key');
    assert.deepEqual(context.kind === 'key' && context.path, ['steps', 0, 'parallel', 0]);
    assert.deepEqual(context.kind === 'key' && context.siblings, ['id', 'prompt']);
  });

  it('knows a value position and a flow mapping key', () => {
    const value = edited('    type: string\n    choices', '    type: st¦\n    choices');
    const context = yamlContextAt(value.text, value.offset);
    assert.equal(context.kind, 'value');
    const flow = edited('category: { type: string,', 'category: { type: string, en¦');
    const inFlow = yamlContextAt(flow.text, flow.offset);
    assert.equal(inFlow.kind, 'key');
    assert.deepEqual(inFlow.kind === 'key' && inFlow.path, ['steps', 0, 'output', 'schema', 'properties', 'category']);
  });

  it('sees block scalars as text', () => {
    const { text, offset } = edited('      Review {{', '      Rev¦iew {{');
    assert.equal(yamlContextAt(text, offset).kind, 'block-scalar');
  });
});

describe('completion', () => {
  it('offers step keys, kind keys first, without the ones present or other kinds', () => {
    const { text, offset } = edited('  - id: done\n', '  - id: done\n    ¦\n');
    const got = labels(text, offset);
    assert.ok(got.includes('if') && got.includes('next') && got.includes('retries'));
    assert.ok(!got.includes('id'), 'id is already there');
    assert.ok(!got.includes('prompt'), 'the step already has set:');
    const first = parseWorkflow(WORKFLOW, FILE);
    const fresh = cursor(WORKFLOW.replace('  - id: done\n', '  - ¦\n  - id: done\n'));
    const items = completionsAt(fresh.text, fresh.offset, first, ALL);
    assert.equal([...items].sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''))[0].label, 'id');
  });

  it('offers top-level keys and enum values', () => {
    const top = cursor(`name: x
¦
`);
    const topLabels = completionsAt(top.text, top.offset, undefined, ALL).map((c) => c.label);
    assert.deepEqual(topLabels.sort(), ['description', 'inputs', 'mcp', 'model', 'on', 'outputs', 'steps', 'tests', 'workers']);
    const { text, offset } = edited('    type: string\n    choices', '    type: ¦\n    choices');
    assert.deepEqual(labels(text, offset), ['string', 'number', 'boolean', 'object', 'array']);
  });

  it('offers nothing from the schema when Red Hat YAML provides it, but still step ids', () => {
    const { text, offset } = edited('  - id: done\n', '  - id: done\n    ¦\n');
    assert.deepEqual(labels(text, offset, { schemaItems: false }), []);
    const target = edited('on_failure: classify', 'on_failure: ¦');
    assert.ok(labels(target.text, target.offset, { schemaItems: false }).includes('classify'));
  });

  it('completes `{{ steps.` with the steps that can have run', () => {
    const { text, offset } = edited('Review {{ steps.market.output }}', 'Review {{ steps.¦ }}');
    const got = labels(text, offset);
    assert.deepEqual(got, ['classify', 'research', 'market', 'risks', 'each', 'review']);
    // In a branch: not the other branch; `review` loops back to `classify`, so it (and this step's own last result) can have run.
    const branch = edited('Risks of {{ steps.classify.output.category }}', 'Risks of {{ steps.¦ }}');
    assert.deepEqual(labels(branch.text, branch.offset), ['classify', 'risks', 'each', 'review']);
  });

  it('offers a step not wired in yet the steps above it, as the analyzer allows', () => {
    const text = `name: Unwired
steps:
  - id: classify
    prompt: Classify.
  - id: route
    switch: steps.classify.output
    cases: { a: end }
    default: fail
  - id: added
    prompt: "{{ steps.¦ }}"
  - id: later
    prompt: Later.
`;
    const at = cursor(text);
    const model = parseWorkflow(at.text, FILE);
    assert.deepEqual(completionsAt(at.text, at.offset, model, ALL).map((c) => c.label), ['classify', 'route', 'added']);
    const problems = model.problems.map((p) => `${p.code}:${p.stepId}`);
    assert.ok(problems.includes('unreachable-step:added'), 'the analyzer still says it can never run');
    assert.ok(!problems.some((p) => p.startsWith('future-step-ref')), 'and reports no read of the steps above it');
  });

  it('puts `item` in scope in the branches of a mapped parallel step', () => {
    const text = `name: Mapped
inputs:
  topics: { type: array, default: [a] }
steps:
  - id: fan
    for_each: inputs.topics
    parallel:
      - id: title
        prompt: "{{ ¦ }}"
  - id: after
    prompt: "{{ steps.fan.output }}"
`;
    const at = cursor(text);
    assert.ok(completionsAt(at.text, at.offset, parseWorkflow(at.text, FILE), ALL).some((c) => c.label === 'item'));
    assert.deepEqual(parseWorkflow(at.text.replace('{{  }}', '{{ item }} {{ index }}'), FILE).problems, []);
  });

  it('completes inputs, step fields and output schema fields', () => {
    const inputs = edited('Classify {{ inputs.topic }}', 'Classify {{ inputs.to¦ }}');
    assert.deepEqual(labels(inputs.text, inputs.offset), ['topic', 'tone']);
    const fields = edited('{{ steps.market.output }}', '{{ steps.market.¦ }}');
    assert.deepEqual(labels(fields.text, fields.offset), ['output', 'attempts', 'status'].sort((a, b) => ['output', 'status', 'attempts'].indexOf(a) - ['output', 'status', 'attempts'].indexOf(b)));
    const schema = edited('{{ steps.market.output }}', '{{ steps.classify.output.¦ }}');
    assert.deepEqual(labels(schema.text, schema.offset), ['category', 'tags']);
    const item = edited('{{ item.label }}', '{{ item.¦ }}');
    assert.deepEqual(labels(item.text, item.offset), ['label']);
  });

  it('puts `item` in scope in for_each steps and `output` in check', () => {
    const root = edited('{{ item.label }}', '{{ ¦ }}');
    assert.ok(labels(root.text, root.offset).includes('item'));
    const check = edited('check: output.contains("OK")', 'check: out¦');
    assert.ok(labels(check.text, check.offset).includes('output'));
    const prompt = edited('Review {{ steps.market.output }}', 'Review {{ ¦ }}');
    assert.ok(!labels(prompt.text, prompt.offset).includes('output'));
  });

  it('answers from an older analysis while the text is being edited', () => {
    const model = parseWorkflow(WORKFLOW, FILE);
    const { text, offset } = edited('    set: "{{ steps.review.output }}"', '    set: "{{ steps.review.output }} {{ steps.¦');
    const got = completionsAt(text, offset, model, ALL).map((c) => c.label);
    // `done` reads itself: on a revisit, `steps.done` is its previous visit's result.
    assert.ok(got.includes('review') && got.includes('done'));
    assert.equal(staleOffset('abcdef', 'abXcdef', 3), 2);
    assert.equal(staleOffset('abcdef', 'abXcdef', 5), 4);
  });
});

describe('hover', () => {
  it('describes keys from the schema', () => {
    const { text, offset } = edited('    for_each:', '    for_e¦ach:');
    const hover = schemaHoverAt(text, offset);
    assert.match(hover!.markdown, /yields a list/);
    const flow = edited('{ type: string, enum', '{ ty¦pe: string, enum');
    assert.match(schemaHoverAt(flow.text, flow.offset)!.markdown, /JSON type/);
  });

  it('shows a referenced step and its last output', () => {
    const model = parseWorkflow(WORKFLOW, FILE);
    const at = WORKFLOW.indexOf('steps.market.output') + 'steps.ma'.length;
    const hover = referenceHoverAt(model, at, () => ({ result: { status: 'succeeded', output: 'BIG MARKET', attempts: 1, visits: 1, durationMs: 1200 } }));
    assert.match(hover!.markdown, /step `market`/);
    assert.match(hover!.markdown, /Market for/);
    assert.match(hover!.markdown, /BIG MARKET/);
  });
});

describe('navigation', () => {
  const model = parseWorkflow(WORKFLOW, FILE);
  it('goes to the definition of a step named in a template or a transition', () => {
    const fromTemplate = definitionAt(model, WORKFLOW.indexOf('steps.market') + 7);
    assert.equal(WORKFLOW.slice(fromTemplate!.offset, fromTemplate!.endOffset), 'market');
    assert.equal(fromTemplate!.offset, WORKFLOW.indexOf('id: market') + 4);
    const fromTransition = definitionAt(model, WORKFLOW.indexOf('on_failure: classify') + 13);
    assert.equal(fromTransition!.offset, WORKFLOW.indexOf('id: classify') + 4);
  });

  it('finds references and renames everywhere', () => {
    const at = WORKFLOW.indexOf('id: classify') + 5;
    assert.equal(referencesAt(model, at, true).length, 4);
    assert.equal(referencesAt(model, at, false).length, 3);
    const edits = renameEdits(model, at, 'triage');
    assert.ok(Array.isArray(edits));
    let renamed = WORKFLOW;
    for (const edit of [...edits].sort((a, b) => b.offset - a.offset)) renamed = renamed.slice(0, edit.offset) + edit.newText + renamed.slice(edit.endOffset);
    assert.ok(!renamed.includes('classify'));
    assert.equal(parseWorkflow(renamed, FILE).problems.filter((p) => p.severity === 'error').length, 0);
    assert.deepEqual(renameEdits(model, at, 'market'), { error: 'A step `market` already exists.' });
    assert.ok('error' in prepareRename(model, WORKFLOW.indexOf('name: Test')));
  });

  it('lists steps with parallel branches as children', () => {
    const symbols = stepSymbols(model.workflow);
    assert.deepEqual(symbols.map((s) => s.name), ['classify', 'research', 'each', 'review', 'done']);
    assert.deepEqual(symbols[1].children.map((s) => s.name), ['market', 'risks']);
  });
});

describe('lenses and status', () => {
  const model = parseWorkflow(WORKFLOW, FILE);
  it('puts run lenses above the workflow and each top-level step', () => {
    const lenses = computeLenses(model, { trusted: true });
    assert.deepEqual(lenses.filter((l) => l.offset === 0).map((l) => l.title), ['$(play) Run workflow', '$(debug-step-over) Step through']);
    assert.equal(lenses.filter((l) => l.command === 'orchestrate.step.run').length, 5);
    const locked = computeLenses(model, { trusted: false });
    assert.deepEqual(locked.map((l) => l.title), ['$(lock) Running is disabled in Restricted Mode']);
  });

  it('shows each step\'s status from run events', () => {
    const base = { runId: 'r1', time: 0 };
    const events: RunEvent[] = [
      { ...base, seq: 1, type: 'run.started', schemaVersion: 1, workflow: { name: 'Test', file: FILE }, inputs: {} },
      { ...base, seq: 2, type: 'step.started', stepId: 'classify', visit: 1, kind: 'prompt', attempt: 1 },
      {
        ...base,
        seq: 3,
        type: 'step.completed',
        stepId: 'classify',
        visit: 1,
        attempt: 1,
        output: {},
        durationMs: 1234,
        call: { provider: 'openai', model: 'x', params: {}, messages: [], latencyMs: 1, usage: { inputTokens: 300, outputTokens: 40, totalTokens: 340 }, costUsd: 0.0012 },
      },
      { ...base, seq: 4, type: 'step.started', stepId: 'research', visit: 1, kind: 'parallel', attempt: 1 },
      { ...base, seq: 5, type: 'step.failed', stepId: 'research', visit: 1, attempt: 1, durationMs: 5, error: { code: 'rate-limit', message: 'rate limited' } },
      { ...base, seq: 6, type: 'step.skipped', stepId: 'each', visit: 1, reason: '`if` is false' },
    ];
    const status = statusOfEvents(events);
    assert.equal(statusTitle(status.steps.get('classify')!), '✓ succeeded 1.2s · 340 tok · $0.0012');
    assert.equal(statusTitle(status.steps.get('research')!), '✗ failed: rate limited');
    assert.match(statusTitle(status.steps.get('each')!), /^skipped/);
    const lenses = computeLenses(model, { trusted: true, status });
    assert.ok(lenses.some((l) => l.title.startsWith('✓ succeeded') && l.offset === model.workflow!.stepsById.get('classify')!.range.offset));
  });
});

describe('quick fixes', () => {
  it('replaces an unknown step reference and renames a duplicate id', () => {
    const broken = WORKFLOW.replace('{{ steps.market.output }}', '{{ steps.markt.output }}').replace('  - id: done', '  - id: review');
    const model = parseWorkflow(broken, FILE);
    const fixes = model.problems.map((p) => quickFixFor(p, broken)).filter((f) => f !== undefined);
    const byCode = new Map(fixes.map((f) => [f.problem.code, f]));
    const ref = byCode.get('unknown-step-ref')!;
    assert.equal(broken.slice(ref.offset, ref.endOffset), 'markt');
    assert.equal(ref.newText, 'market');
    const dup = byCode.get('duplicate-id')!;
    assert.equal(dup.newText, 'review_2');
    assert.equal(broken.slice(dup.offset, dup.endOffset), 'review');
  });
});

describe('robustness', () => {
  it('answers at every position of every example, and on every prefix of one, without throwing', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const dir = path.join(__dirname, '..', '..', '..', 'examples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.workflow.yaml'));
    assert.ok(files.length > 5);
    for (const file of files) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const model = parseWorkflow(text, path.join(dir, file));
      assert.equal(model.problems.filter((p) => p.severity === 'error').length, 0, `${file} has errors`);
      for (let offset = 0; offset <= text.length; offset += 3) {
        completionsAt(text, offset, model, ALL);
        schemaHoverAt(text, offset);
        referenceHoverAt(model, offset);
        definitionAt(model, offset);
      }
    }
    // Typing a file from the start: every prefix is an unfinished document.
    const text = readFileSync(path.join(dir, files[0]), 'utf8');
    const model = parseWorkflow(text, files[0]);
    for (let end = 0; end <= text.length; end += 11) completionsAt(text.slice(0, end), end, model, ALL);
  });
});

describe('schedule hover', () => {
  it('shows the next runs of a schedule in its time zone', () => {
    const text = 'name: Nightly\non:\n  schedule:\n    cron: "0 9 * * 1-5"\n    timezone: Europe/Paris\nsteps:\n  - id: a\n    set: x\n';
    const hover = scheduleHoverAt(text, text.indexOf('0 9'), Date.UTC(2026, 11, 4, 12));
    assert.ok(hover, 'a hover over the schedule');
    assert.match(hover.markdown, /\*\*Next runs\*\* of `0 9 \* \* 1-5` \(Europe\/Paris\)/);
    // Friday noon UTC: the next weekday 09:00 in Paris is Monday.
    assert.match(hover.markdown, /- 7 Dec 2026, 09:00/);
    assert.equal(hover.markdown.split('\n- ').length, 6);
    assert.equal(scheduleHoverAt(text, text.indexOf('id: a'), 0), undefined);
  });
});
