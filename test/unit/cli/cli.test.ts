import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { main, type Io } from '../../../src/cli/main';

const root = path.resolve(__dirname, '../../..');
const examples = readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.workflow.yaml'));

async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const cwd = mkdtempSync(path.join(tmpdir(), 'orchestrate-cli-'));
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t), color: false, env: { ORCHESTRATE_USE_MOCK: 'true', ...env }, cwd };
  const code = await main(args, io);
  return { code, out, err };
}

function tempWorkflow(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'orchestrate-wf-')), 'test.workflow.yaml');
  writeFileSync(file, text);
  return file;
}

describe('orchestrate validate', () => {
  test('every example is clean and exits 0', async () => {
    const { code, out } = await cli(['validate', ...examples.map((f) => path.join(root, 'examples', f))]);
    assert.equal(out, '');
    assert.equal(code, 0);
  });

  test('a broken file prints file:line:col: code: message and exits 1', async () => {
    const file = tempWorkflow('name: broken\nsteps:\n  - id: a\n    prompt: "{{ steps.nope.output }}"\n');
    const { code, out } = await cli(['validate', file]);
    assert.equal(code, 1);
    assert.equal(out.trim(), `${file}:4:23: unknown-step-ref: there is no step \`nope\``);
  });

  test('malformed YAML gets a located one-line error, not a stack trace', async () => {
    const file = tempWorkflow('name: x\nsteps:\n  - id: a\n    prompt: "unclosed\n');
    const { code, out } = await cli(['validate', file]);
    assert.equal(code, 1);
    assert.match(out, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: yaml-syntax: `));
    assert.doesNotMatch(out, /\n\s+at /);
  });

  test('a missing file and no arguments are clear usage errors', async () => {
    assert.equal((await cli(['validate', '/no/such.workflow.yaml'])).code, 1);
    const usage = await cli(['validate']);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /name at least one workflow file/);
  });
});

describe('orchestrate run', () => {
  for (const example of examples) {
    test(`${example} completes on the mock provider`, async () => {
      const { code, err } = await cli(['run', path.join(root, 'examples', example), '--quiet']);
      assert.equal(code, 0, err);
    });
  }

  test('build-a-website shows the reviewer sending the work back, then approving', async () => {
    const { code, err } = await cli(['run', path.join(root, 'examples/build-a-website.workflow.yaml')]);
    assert.equal(code, 0);
    assert.match(err, /✓ review .*CHANGES REQUESTED/);
    assert.match(err, /▶ code \(visit 2\)/);
    assert.match(err, /✓ review \(visit 2\) .*APPROVED/);
  });

  test('--json prints the whole result; --out writes it', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'orchestrate-out-')), 'result.json');
    const { code, out: stdout } = await cli(['run', path.join(root, 'examples/smart-router.workflow.yaml'), '--json', '--out', out, '--quiet']);
    assert.equal(code, 0);
    const result = JSON.parse(stdout);
    assert.equal(result.status, 'succeeded');
    assert.equal(typeof result.runId, 'string');
    assert.equal(typeof result.durationMs, 'number');
    assert.deepEqual(Object.keys(result.usage).sort(), ['inputTokens', 'outputTokens', 'totalTokens']);
    assert.equal(result.steps.classify.status, 'succeeded');
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).outputs, result.outputs);
  });

  test('a missing required input exits 2 naming the input and where it is declared', async () => {
    const file = tempWorkflow('name: x\ninputs:\n  audience: { required: true, description: Who reads it? }\nsteps:\n  - { id: a, set: "{{ inputs.audience }}" }\n');
    const { code, err } = await cli(['run', file]);
    assert.equal(code, 2);
    assert.equal(err.trim(), `${file}:3:3: input-missing: \`audience\` is required (Who reads it?): pass --input audience=VALUE`);
    const ok = await cli(['run', file, '--input', 'audience=devs', '--json', '--quiet']);
    assert.equal(ok.code, 0);
    assert.equal(JSON.parse(ok.out).steps.a.output, 'devs');
  });

  test('an invalid file exits 2; a failing workflow exits 1', async () => {
    assert.equal((await cli(['run', tempWorkflow('name: x\nsteps: []\n')])).code, 2);
    const failing = tempWorkflow('name: x\nsteps:\n  - { id: a, fail: "no luck" }\n');
    const { code, err } = await cli(['run', failing]);
    assert.equal(code, 1);
    assert.match(err, /✗ failed: no luck/);
  });

  test('without a key, openai steps fall back to the mock provider with a note', async () => {
    const { code, err } = await cli(['run', path.join(root, 'examples/smart-router.workflow.yaml'), '--quiet'], { ORCHESTRATE_USE_MOCK: undefined, OPENAI_API_KEY: undefined });
    assert.equal(code, 0);
    assert.match(err, /no OPENAI_API_KEY is set, so steps that use `openai` run on the mock provider/);
  });
});

describe('orchestrate --help', () => {
  test('the top level and every command print usage and exit 0', async () => {
    const top = await cli(['--help']);
    assert.equal(top.code, 0);
    for (const command of ['validate', 'run']) {
      const { code, out } = await cli([command, '--help']);
      assert.equal(code, 0);
      assert.match(out, new RegExp(`Usage: orchestrate ${command}`));
    }
    const unknown = await cli(['frobnicate']);
    assert.equal(unknown.code, 2);
    const badOption = await cli(['run', 'x.yaml', '--nope']);
    assert.equal(badOption.code, 2);
    assert.match(badOption.err, /unknown option --nope/);
  });
});

describe('the built binary', () => {
  test('bin/orchestrate.js runs the bundled CLI with the exit code', { skip: !existsSync(path.join(root, 'dist/cli.js')) && 'run `npm run build` first' }, () => {
    // The bundle's coverage, mapped back to src/ through its source map, breaks the
    // test runner's coverage report: the child writes its own elsewhere.
    const env = { ...process.env, NODE_V8_COVERAGE: mkdtempSync(path.join(tmpdir(), 'orchestrate-bin-coverage-')) };
    const ok = execFileSync(process.execPath, [path.join(root, 'bin/orchestrate.js'), 'validate', path.join(root, 'examples/smart-router.workflow.yaml')], { encoding: 'utf8', env });
    assert.equal(ok, '');
    const bad = spawnSync(process.execPath, [path.join(root, 'bin/orchestrate.js'), 'run', tempWorkflow('name: x\nsteps: nope\n')], { encoding: 'utf8', env });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /test\.workflow\.yaml:2:8: schema: `steps` must be a list/);
  });
});
