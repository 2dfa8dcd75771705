/**
 * The model the loader builds from test/fixtures/load/valid.workflow.yaml: step kinds
 * and ids, source ranges of a few nodes, template parts with their expressions'
 * ranges, and inputs with defaults. Plus the options and formatting around it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  allSteps,
  checkWorkflow,
  formatProblem,
  hasErrors,
  type ParallelStep,
  type PromptStep,
  type SourceRange,
  type Step,
  type SwitchStep,
  type TemplatePart,
  type Workflow,
  type WorkflowStep,
} from '../../../src/engine/index';
import { existing } from './files';

const FIXTURES = join(__dirname, '../../fixtures/load');
const VALID = join(FIXTURES, 'valid.workflow.yaml');
const text = readFileSync(VALID, 'utf8');

/** `line:col-line:col`, the way a person reads a range. */
function at(range: SourceRange): string {
  return `${range.start.line}:${range.start.column}-${range.end.line}:${range.end.column}`;
}

/** The text a range covers. */
function slice(range: SourceRange): string {
  return text.slice(range.offset, range.endOffset);
}

function parts(list: TemplatePart[]): (string | { expr: string; at: string })[] {
  return list.map((part) => ('text' in part ? part.text : { expr: part.expr.source, at: at(part.expr.range) }));
}

function load(): Workflow {
  const result = checkWorkflow(text, VALID, { files: existing(() => true) });
  assert.deepEqual(result.problems, []);
  assert.ok(result.workflow);
  return result.workflow;
}

function step<T extends Step>(workflow: Workflow, id: string): T {
  const found = workflow.stepsById.get(id);
  assert.ok(found, `step ${id}`);
  return found as T;
}

describe('the model of valid.workflow.yaml', () => {
  test('name, description, model settings and workers', () => {
    const workflow = load();
    assert.equal(workflow.name, 'Valid Everything');
    assert.equal(workflow.description, 'Uses every kind of step.');
    assert.equal(workflow.file, VALID);
    assert.deepEqual(workflow.model, { provider: 'mock', name: 'gpt-4o-mini', temperature: 0.5 });
    assert.deepEqual(Object.keys(workflow.workers), ['writer']);
    const writer = workflow.workers.writer;
    assert.deepEqual(writer.model, { temperature: 0.9 });
    assert.equal(at(writer.range), '22:3-22:9');
    assert.deepEqual(parts(writer.system!.parts), ['You write for ', { expr: 'inputs.audience', at: '23:30-23:45' }, '.']);
  });

  test('inputs keep their order, types, defaults and whether they are required', () => {
    const { inputs } = load();
    assert.deepEqual(
      inputs.map(({ name, type, required, default: value, description }) => ({ name, type, required, default: value, description })),
      [
        { name: 'topic', type: 'string', required: false, default: 'rocket skates', description: 'What to write about.' },
        { name: 'rounds', type: 'number', required: false, default: 2, description: undefined },
        { name: 'audience', type: 'string', required: true, default: undefined, description: undefined },
      ],
    );
    assert.deepEqual(inputs.map((i) => at(i.range)), ['7:3-7:8', '10:3-10:9', '13:3-13:11']);
    assert.equal(slice(inputs[1].range), 'rounds');
  });

  test('step kinds and ids, top level and nested', () => {
    const workflow = load();
    assert.deepEqual(
      workflow.steps.map((s) => [s.id, s.kind]),
      [
        ['facts', 'prompt'],
        ['research', 'parallel'],
        ['posts', 'prompt'],
        ['choice', 'input'],
        ['route', 'switch'],
        ['summary', 'workflow'],
        ['rejected', 'fail'],
        ['bundle', 'set'],
      ],
    );
    assert.deepEqual(
      allSteps(workflow.steps).map((s) => s.id),
      ['facts', 'research', 'market', 'risks', 'posts', 'choice', 'route', 'summary', 'rejected', 'bundle'],
    );
    assert.deepEqual([...workflow.stepsById.keys()].sort(), allSteps(workflow.steps).map((s) => s.id).sort());
    const research = step<ParallelStep>(workflow, 'research');
    assert.deepEqual(research.branches.map((b) => [b.id, b.kind, b.parentId]), [
      ['market', 'prompt', 'research'],
      ['risks', 'prompt', 'research'],
    ]);
  });

  test('ranges of steps and ids point at the file', () => {
    const workflow = load();
    const facts = step<PromptStep>(workflow, 'facts');
    assert.equal(at(facts.idRange), '27:9-27:14');
    assert.equal(slice(facts.idRange), 'facts');
    assert.equal(facts.range.start.line, 27);
    assert.ok(slice(facts.range).startsWith('id: facts'));
    assert.equal(at(facts.worker!.range), '28:13-28:19');
    const market = step<PromptStep>(workflow, 'market');
    assert.equal(at(market.idRange), '43:13-43:19');
    assert.equal(workflow.range.start.line, 3, 'the workflow starts at its first key, after the comments');
  });

  test('prompt keys: worker, output schema, mock, timeout and retries', () => {
    const facts = step<PromptStep>(load(), 'facts');
    assert.equal(facts.worker?.name, 'writer');
    assert.deepEqual(facts.outputSchema, {
      type: 'object',
      properties: { items: { type: 'array', items: { type: 'string' } } },
      required: ['items'],
    });
    assert.deepEqual(facts.mock, {
      kind: 'object',
      entries: { items: { kind: 'list', items: [{ kind: 'literal', value: 'light' }, { kind: 'literal', value: 'fast' }] } },
    });
    assert.equal(facts.timeoutMs, 30_000);
    assert.equal(facts.retries, 2);
    assert.equal(facts.retryDelayMs, 500);
    assert.equal(facts.maxVisits, 10);
  });

  test('template parts: text and expressions, each expression located in plain, quoted and block scalars', () => {
    const workflow = load();
    const facts = step<PromptStep>(workflow, 'facts');
    assert.deepEqual(parts(facts.prompt.parts), ['List facts about ', { expr: 'inputs.topic', at: '29:33-29:45' }, '.']);
    // Double- and single-quoted scalars: ranges skip the quote.
    assert.deepEqual(parts(step<PromptStep>(workflow, 'market').prompt.parts), ['Market for ', { expr: 'inputs.topic', at: '44:32-44:44' }]);
    assert.deepEqual(parts(step<PromptStep>(workflow, 'risks').prompt.parts), ['Risks of ', { expr: 'inputs.topic', at: '46:30-46:42' }]);
    // A `|` block: two lines, four expressions.
    const posts = step<PromptStep>(workflow, 'posts');
    assert.deepEqual(parts(posts.prompt.parts), [
      'Post ',
      { expr: 'index + 1', at: '52:15-52:24' },
      ' of ',
      { expr: 'inputs.rounds', at: '52:34-52:47' },
      ': ',
      { expr: 'item', at: '52:55-52:59' },
      '\nMarket: ',
      { expr: 'steps.market.output', at: '53:18-53:37' },
      '\n',
    ]);
    for (const part of posts.prompt.parts) if ('expr' in part) assert.equal(slice(part.expr.range), part.expr.source);
  });

  test('expression keys: for_each, check, if, switch', () => {
    const workflow = load();
    const posts = step<PromptStep>(workflow, 'posts');
    assert.equal(posts.forEach?.source, 'steps.facts.output.items');
    assert.equal(at(posts.forEach!.range), '49:15-49:39');
    assert.equal(posts.concurrency, 2);
    assert.equal(posts.check?.source, 'size(output) > 0');
    const route = step<SwitchStep>(workflow, 'route');
    assert.equal(route.switch.source, 'steps.choice.output');
    assert.deepEqual(route.cases.map((c) => [c.value, c.target.to, at(c.target.range)]), [
      ['yes', 'summary', '64:14-64:21'],
      ['no', 'rejected', '65:13-65:21'],
    ]);
    assert.equal(route.default?.to, 'rejected');
    const bundle = step(workflow, 'bundle');
    assert.equal(bundle.if?.source, 'steps.summary.status == "succeeded"');
    assert.equal(slice(bundle.if!.range), 'steps.summary.status == "succeeded"');
    assert.equal(bundle.end, true);
  });

  test('input, workflow, fail and set steps, and outputs', () => {
    const workflow = load();
    const choice = step(workflow, 'choice');
    assert.ok(choice.kind === 'input');
    assert.deepEqual([choice.question.source, choice.default, choice.choices], ['Keep the posts?', 'yes', ['yes', 'no']]);
    const summary = step<WorkflowStep>(workflow, 'summary');
    assert.equal(summary.uses.path, 'lib/shorten.workflow.yaml');
    assert.equal(slice(summary.uses.range), 'lib/shorten.workflow.yaml');
    assert.equal(summary.next?.to, 'bundle');
    assert.equal(summary.with.text.kind, 'template');
    const rejected = step(workflow, 'rejected');
    assert.equal(rejected.kind, 'fail');
    assert.deepEqual(parts(rejected.fail!.parts), ['The posts were rejected (', { expr: 'steps.choice.output', at: '75:39-75:58' }, ').']);
    const bundle = step(workflow, 'bundle');
    assert.ok(bundle.kind === 'set' && bundle.value.kind === 'object');
    assert.deepEqual(Object.keys(bundle.value.entries), ['short', 'count', 'literal']);
    assert.deepEqual(bundle.value.entries.literal, { kind: 'literal', value: 3 });
    assert.deepEqual(Object.keys(workflow.outputs), ['bundle', 'risks']);
    const risks = workflow.outputs.risks;
    assert.ok(risks.kind === 'template');
    assert.deepEqual(parts(risks.template.parts), [{ expr: 'steps.risks.output', at: '87:14-87:32' }]);
  });
});

describe('checkWorkflow options and formatting', () => {
  const missing = join(FIXTURES, 'code-workflow-not-found.workflow.yaml');
  const missingText = readFileSync(missing, 'utf8');

  test('workflow-not-found only when the files port says so', () => {
    assert.deepEqual(checkWorkflow(missingText, missing).problems, [], 'without the option, paths are not checked');
    assert.deepEqual(checkWorkflow(missingText, missing, { files: existing(() => true) }).problems, []);
    const asked: [string, string][] = [];
    const { problems } = checkWorkflow(missingText, missing, {
      files: existing((path, from) => {
        asked.push([path, from]);
        return false;
      }),
    });
    assert.deepEqual(asked, [['lib/summarise.workflow.yaml', missing]], 'asked with the path as written and the file it is relative to');
    assert.deepEqual(
      problems.map((p) => [p.code, p.severity, at(p.range), p.stepId]),
      [['workflow-not-found', 'error', '5:11-5:38', 'summary']],
    );
  });

  test('the valid fixture with a files port that finds nothing reports its one uses: path', () => {
    const { problems } = checkWorkflow(text, VALID, { files: existing(() => false) });
    assert.deepEqual(problems.map((p) => [p.code, slice(p.range)]), [['workflow-not-found', 'lib/shorten.workflow.yaml']]);
  });

  test('formatProblem prints file:line:col: [severity ]code: message', () => {
    const file = join(FIXTURES, 'code-unreachable-step.workflow.yaml');
    const { problems } = checkWorkflow(readFileSync(file, 'utf8'), 'flow.workflow.yaml');
    assert.deepEqual(problems.map(formatProblem), [
      'flow.workflow.yaml:7:9: warning unreachable-step: step `orphan` can never run: no step leads to it (check the `next`, `on_success`, `switch` and `end` keys before it)',
    ]);
    assert.equal(hasErrors(problems), false, 'a warning is not an error');
    const dup = checkWorkflow(readFileSync(join(FIXTURES, 'code-duplicate-id.workflow.yaml'), 'utf8'), 'd.workflow.yaml');
    assert.match(formatProblem(dup.problems[0]), /^d\.workflow\.yaml:6:9: duplicate-id: step id `draft` is already used on line 4/);
    assert.equal(hasErrors(dup.problems), true);
  });

  test('problems carry the step they belong to and quick-fix data', () => {
    const file = join(FIXTURES, 'code-unknown-step-ref.workflow.yaml');
    const [problem] = checkWorkflow(readFileSync(file, 'utf8'), file).problems;
    assert.equal(problem.stepId, 'draft');
    assert.deepEqual(problem.data, { replacement: 'outline' });
  });

  test('a file that is not a mapping gets one schema problem and no model', () => {
    for (const input of ['', '# only a comment\n', '- a\n- b\n', 'just text\n', '42\n']) {
      const result = checkWorkflow(input, 'x.workflow.yaml');
      assert.equal(result.workflow, undefined, JSON.stringify(input));
      assert.deepEqual(result.problems.map((p) => p.code), ['schema'], JSON.stringify(input));
      assert.match(result.problems[0].message, /name:.*steps:/);
    }
  });

  test('one problem per mistake: triggers and tests are worded by their own checkers, and a value that may take several shapes is judged by the shape it has', () => {
    const codes = (yaml: string) => checkWorkflow(`name: k\n${yaml}\nsteps:\n  - { id: a, set: 1 }\n`, 'x.workflow.yaml').problems.map((p) => `${p.code}: ${p.message}`);
    assert.deepEqual(codes('on:\n  webhok: { path: /x, secret_env: X }'), ['trigger-unknown-key: unknown trigger `webhok` in `on:`; known triggers: webhook, schedule']);
    const schedule = codes('on:\n  schedule: [ { cron: "* * * * *", timezon: UTC } ]');
    assert.equal(schedule.length, 1, schedule.join('\n'));
    assert.match(schedule[0], /^trigger-unknown-key: unknown key `timezon`/);
    const webhook = codes('on:\n  webhook: { pth: /x, secret_env: X }');
    assert.ok(webhook.every((p) => p.startsWith('trigger-')), webhook.join('\n'));
    assert.doesNotMatch(webhook.join('\n'), /must be a list|not a mapping/);
    assert.deepEqual(codes('tests:\n  - { name: t, expct: { output: 1 } }').map((p) => p.split(':')[0]), ['test-unknown-key']);
  });

  test('CRLF line endings give the same lines and columns', () => {
    const crlf = text.replace(/\n/g, '\r\n');
    const result = checkWorkflow(crlf, VALID, { files: existing(() => true) });
    assert.deepEqual(result.problems, []);
    const posts = result.workflow!.stepsById.get('posts') as PromptStep;
    const exprs = posts.prompt.parts.flatMap((p) => ('expr' in p ? [at(p.expr.range)] : []));
    assert.deepEqual(exprs, ['52:15-52:24', '52:34-52:47', '52:55-52:59', '53:18-53:37']);
  });
});
