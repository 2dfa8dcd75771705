import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { exited, runCli, spawnCli, tempDir } from '../../support/durable';
import { ROUTER } from './support';

const temp = tempDir('orchestrate-eval-cli-');
after(() => temp.remove());
let counter = 0;

/** A folder with the router workflow (and its tests) and, when given, a dataset beside it. */
function project(tests: string, rows?: string): { dir: string; workflow: string } {
  const dir = path.join(temp.dir, `p${++counter}`);
  mkdirSync(dir);
  const workflow = path.join(dir, 'router.workflow.yaml');
  writeFileSync(workflow, `${ROUTER}tests:\n${tests}`);
  if (rows !== undefined) writeFileSync(path.join(dir, 'router.dataset.jsonl'), rows);
  return { dir, workflow };
}

const PASSING = `  - name: billing
    expect:
      - equals: billing
        output: category
  - name: other
    mock: { classify: { category: other } }
    expect:
      - path: [classify, route, other]
`;
const FAILING = `${PASSING}  - name: wrong
    expect:
      - contains: "<b>never & 'here'</b>"
        output: reply
`;
const env = { ORCHESTRATE_USE_MOCK: 'true' };

describe('orchestrate test', () => {
  test('passing cases exit 0 with a summary table; the eval is stored with each case linked to its trace', async () => {
    const { dir, workflow } = project(PASSING);
    const { code, out, err } = await runCli(['test', workflow], { cwd: dir, env });
    assert.equal(code, 0, err);
    assert.match(out, /Router\s+billing\s+1\/1\s+100%/);
    assert.match(out, /passed: 2 passed, 0 failed of 2/);
    assert.match(err, /✓ Router › billing/);
    const evals = readdirSync(path.join(dir, '.orchestrate/evals'));
    assert.equal(evals.length, 1);
    const records = readFileSync(path.join(dir, '.orchestrate/evals', evals[0]), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => r.type), ['eval', 'case', 'case', 'eval.end']);
    for (const result of records.filter((r) => r.type === 'case')) assert.ok(existsSync(result.trace), result.trace);
  });

  test('a failure exits 1 and says what was expected; --bail stops starting cases', async () => {
    const { dir, workflow } = project(FAILING);
    const { code, out, err } = await runCli(['test', workflow], { cwd: dir, env });
    assert.equal(code, 1);
    assert.match(err, /✗ Router › wrong: output reply does not contain/);
    assert.match(out, /failed: 2 passed, 1 failed of 3/);
    const bailed = await runCli(['test', workflow, '--bail', '--concurrency', '1', '--filter', 'wrong'], { cwd: dir, env });
    assert.equal(bailed.code, 1);
    assert.match(bailed.out, /of 1\b/);
  });

  test('--reporter junit is JUnit XML a parser accepts, with the failure and its expected/actual', async () => {
    const { dir, workflow } = project(FAILING);
    const out = path.join(dir, 'junit.xml');
    const { code } = await runCli(['test', workflow, '--reporter', 'junit', '--out', out], { cwd: dir, env });
    assert.equal(code, 1);
    const text = readFileSync(out, 'utf8');
    assert.equal(XMLValidator.validate(text), true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(text);
    const suites = doc.testsuites;
    assert.equal(suites.tests, '3');
    assert.equal(suites.failures, '1');
    const suite = suites.testsuite;
    assert.equal(suite.name, 'Router');
    const cases = suite.testcase as { name: string; failure?: { message: string; '#text': string }; line?: string }[];
    assert.deepEqual(cases.map((c) => c.name).sort(), ['billing', 'other', 'wrong']);
    const failed = cases.find((c) => c.failure)!;
    assert.equal(failed.name, 'wrong');
    assert.match(failed.failure!.message, /does not contain "<b>never & 'here'<\/b>"/);
    assert.match(failed.failure!['#text'], /expected:\n<b>never/);
    assert.ok(Number(failed.line) > 0);
  });

  test('--reporter json and markdown', async () => {
    const { dir, workflow } = project(FAILING);
    const json = await runCli(['test', workflow, '--reporter', 'json'], { cwd: dir, env });
    const parsed = JSON.parse(json.out);
    assert.equal(parsed.summary.failed, 1);
    assert.equal(parsed.results.length, 3);
    const markdown = await runCli(['test', workflow, '--reporter', 'markdown'], { cwd: dir, env });
    assert.match(markdown.out, /\| Router \| wrong \| 0\/1 \(0%\)/);
    assert.match(markdown.out, /### Failures/);
  });

  test('--repeat reports pass rates; bad options and bad tests: exit 2 with located problems', async () => {
    const { dir, workflow } = project(PASSING);
    const repeated = await runCli(['test', workflow, '--repeat', '3'], { cwd: dir, env });
    assert.match(repeated.out, /billing\s+3\/3\s+100%/);
    assert.equal((await runCli(['test', workflow, '--repeat', '0'], { cwd: dir, env })).code, 2);
    assert.equal((await runCli(['test', workflow, '--reporter', 'xml'], { cwd: dir, env })).code, 2);
    const broken = project('  - name: x\n    expect:\n      - equals: 1\n        output: nope\n');
    const invalid = await runCli(['test', broken.workflow, '--json'], { cwd: broken.dir, env });
    assert.equal(invalid.code, 2);
    assert.match(invalid.err, /router\.workflow\.yaml:\d+:17: test-unknown-output: the workflow has no output `nope`/);
    assert.equal(JSON.parse(invalid.out).error.problems[0].code, 'test-unknown-output');
  });

  test('a dataset beside the workflow: one row a run, row values in expectations, --data and --column', async () => {
    const rows = '{"text":"refund please","expected":"billing"}\n{"text":"hello","expected":"billing"}\n';
    const { dir, workflow } = project(
      `  - name: rows
    rows: router.dataset.jsonl
    columns: { message: text }
    expect:
      - equals: "{{ row.expected }}"
        output: category
      - cel: inputs.message == row.text
`,
      rows,
    );
    const { code, out, err } = await runCli(['test', workflow], { cwd: dir, env });
    assert.equal(code, 0, err);
    assert.match(out, /rows\s+2\/2/);
    const other = path.join(dir, 'other.csv');
    writeFileSync(other, 'msg,expected\nhi,other\n');
    const data = await runCli(['test', workflow, '--data', other, '--column', 'message=msg'], { cwd: dir, env });
    assert.equal(data.code, 1);
    assert.match(data.err, /rows \[row 1\]: output category is "billing", expected "other"/);
  });

  test('a re-run answers every unchanged call from the cache; --compare lists regressions', async () => {
    const { dir, workflow } = project(PASSING);
    const log = path.join(dir, 'calls.log');
    const cachedEnv = { ...env, ORCHESTRATE_CACHE_MOCK: 'true', ORCHESTRATE_MOCK_CALL_LOG: log };
    assert.equal((await runCli(['test', workflow], { cwd: dir, env: cachedEnv })).code, 0);
    const firstCalls = readFileSync(log, 'utf8').trim().split('\n').length;
    const second = await runCli(['test', workflow], { cwd: dir, env: cachedEnv });
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, firstCalls, 'no call reached the provider');
    assert.match(second.out, /(\d+) of \1 calls from the cache/);

    writeFileSync(workflow, readFileSync(workflow, 'utf8').replace('expect:\n      - equals: billing', 'expect:\n      - equals: other'));
    assert.equal((await runCli(['test', workflow], { cwd: dir, env })).code, 1);
    const [, before, after] = readdirSync(path.join(dir, '.orchestrate/evals')).sort();
    const compared = await runCli(['test', '--compare', before.replace('.jsonl', ''), after.replace('.jsonl', '')], { cwd: dir, env });
    assert.equal(compared.code, 1);
    assert.match(compared.out, /Regressions \(1\):\n {2}✗ Router › billing\n {6}now: output category is "billing", expected "other"/);
    assert.match(compared.out, /1 regressions, 0 improvements, 0 changed, 1 unchanged/);
  });

  test('an eval killed with SIGKILL resumes without running its finished rows again', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => JSON.stringify({ message: `row ${i}` })).join('\n') + '\n';
    const { dir, workflow } = project('  - name: rows\n    rows: router.dataset.jsonl\n', rows);
    const log = path.join(dir, 'calls.log');
    const killEnv = { ...env, ORCHESTRATE_MOCK_CALL_LOG: log };
    const child = spawnCli(['test', workflow, '--mock-delay', '150', '--concurrency', '2', '--quiet'], { cwd: dir, env: killEnv });
    const done = exited(child);
    const evalsDir = path.join(dir, '.orchestrate/evals');
    const finished = () => (existsSync(evalsDir) ? readdirSync(evalsDir).flatMap((f) => readFileSync(path.join(evalsDir, f), 'utf8').split('\n').filter((l) => l.includes('"type":"case"'))) : []);
    // Waits for results on disk, not for time: the child writes a line as each row finishes.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (finished().length >= 3) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    child.kill('SIGKILL');
    await done;
    const before = finished().length;
    assert.ok(before >= 3 && before < 12, `${before} rows finished before the kill`);
    const callsBefore = readFileSync(log, 'utf8').trim().split('\n').length;
    const id = readdirSync(evalsDir)[0].replace('.jsonl', '');
    const resumed = await runCli(['test', '--resume', id], { cwd: dir, env: killEnv });
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, /rows\s+12\/12/);
    const keys = finished().map((line) => JSON.parse(line).key as string);
    assert.equal(new Set(keys).size, 12, 'every row once');
    assert.equal(keys.length, 12);
    // Two model calls a row (classify, then billing): only the rows not finished before the kill were called again.
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').length - callsBefore, (12 - before) * 2);
  });
});
