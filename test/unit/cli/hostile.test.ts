/**
 * The CLI under hostile arguments: every command, with files that are folders,
 * binary, empty, huge or BOM/CRLF; unknown and malformed options; unknown inputs;
 * an unwritable --out. Each must end in a clear message (and with --json, one JSON
 * error object on stdout), never a stack trace or a library's wording.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { parseArgs, parseAssignments, UsageError } from '../../../src/cli/args';
import { MAX_WORKFLOW_BYTES } from '../../../src/cli/files';
import { exited, REPO_ROOT, runCli, spawnCli, tempDir } from '../../support/durable';

const OK = 'name: ok\nsteps:\n  - { id: a, set: "done" }\noutputs:\n  result: "{{ steps.a.output }}"\n';
const WITH_INPUTS = `name: asks
inputs:
  topic: { type: string, required: true, description: What about? }
  count: { type: number, default: 2 }
steps:
  - id: confirm
    input: "Go ahead?"
    default: "yes"
  - { id: a, set: "{{ inputs.topic }} x{{ inputs.count }} {{ steps.confirm.output }}" }
`;

function setup(t: { after: (fn: () => void) => void }) {
  const { dir, remove } = tempDir('orchestrate-hostile-');
  t.after(remove);
  const file = (name: string, text: string | Buffer) => {
    const full = path.join(dir, name);
    writeFileSync(full, text);
    return full;
  };
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env: { ORCHESTRATE_USE_MOCK: 'true', ...env } });
  return { dir, file, cli };
}

/** stdout with --json is exactly one JSON document; returns its `error`. */
function jsonError(out: string): { code: string; message: string; file?: string; line?: number; column?: number; problems?: { code: string; message: string; line: number; column: number }[] } {
  const parsed = JSON.parse(out) as { error: ReturnType<typeof jsonError> };
  assert.deepEqual(Object.keys(parsed), ['error']);
  assert.equal(typeof parsed.error.code, 'string');
  assert.equal(typeof parsed.error.message, 'string');
  return parsed.error;
}

function noLeaks(text: string): void {
  assert.doesNotMatch(text, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(text, /EISDIR|ENOENT|ENOTDIR|illegal operation|Unexpected token/, 'no raw OS or parser text');
}

test('--json: an invalid file prints one JSON error with every located problem', async (t) => {
  const { file, cli } = setup(t);
  const broken = file('broken.workflow.yaml', 'name: x\nsteps:\n  - id: a\n    prompt: "{{ steps.nope.output }}"\n  - id: b\n    set: "{{ inputs.none }}"\n');
  const { code, out, err } = await cli(['run', broken, '--json']);
  assert.equal(code, 2);
  const error = jsonError(out);
  assert.equal(error.code, 'workflow-invalid');
  assert.equal(error.file, broken);
  assert.deepEqual([error.line, error.column], [4, 23]);
  assert.deepEqual(
    error.problems!.map((p) => p.code),
    ['unknown-step-ref', 'unknown-input-ref'],
  );
  assert.match(err, /broken\.workflow\.yaml:4:23: unknown-step-ref: there is no step `nope`/);
});

test('--json: a missing input, a malformed one and an unknown one are all reported at once, with a suggestion', async (t) => {
  const { file, cli } = setup(t);
  const wf = file('asks.workflow.yaml', WITH_INPUTS);
  const { code, out, err } = await cli(['run', wf, '--json', '--input', 'count=many', '--input', 'topik=rye', '--input', 'confrim=no']);
  assert.equal(code, 2);
  const error = jsonError(out);
  assert.equal(error.code, 'input');
  assert.deepEqual(error.problems!.map((p) => p.code).sort(), ['input-invalid', 'input-missing', 'input-unknown', 'input-unknown']);
  const messages = error.problems!.map((p) => p.message).join('\n');
  assert.match(messages, /--input topik: .*did you mean `topic`\?/);
  assert.match(messages, /--input confrim: .*did you mean `confirm`\?/);
  assert.match(messages, /inputs: topic, count; `input:` steps: confirm/);
  assert.match(messages, /`topic` is required \(What about\?\): pass --input topic=VALUE/);
  assert.match(messages, /must be a number, not `many`/);
  assert.match(err, /asks\.workflow\.yaml:3:3: input-missing: /);
  noLeaks(err);
});

test('--input answers an `input:` step by id; prototype names are just unknown names', async (t) => {
  const { file, cli } = setup(t);
  const wf = file('asks.workflow.yaml', WITH_INPUTS);
  const ok = await cli(['run', wf, '--json', '-q', '--no-trace', '--input', 'topic=rye', '--input', 'confirm=sure']);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(JSON.parse(ok.out).steps.a.output, 'rye x2 sure');
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const bad = await cli(['run', wf, '--json', '--no-trace', '--input', 'topic=rye', '--input', `${name}=1`]);
    assert.equal(bad.code, 2, name);
    assert.equal(jsonError(bad.out).problems![0].code, 'input-unknown', name);
  }
  const twice = await cli(['run', wf, '--input', 'topic=a', '--input', 'topic=b']);
  assert.equal(twice.code, 2);
  assert.match(twice.err, /--input topic is given twice/);
});

test('files that are not workflows: missing, a folder, binary, not UTF-8, huge — each a clear error, with a code in JSON', async (t) => {
  const { dir, file, cli } = setup(t);
  mkdirSync(path.join(dir, 'folder.workflow.yaml'));
  const cases: [string, string, RegExp][] = [
    [path.join(dir, 'missing.workflow.yaml'), 'file-missing', /missing\.workflow\.yaml: no such file/],
    [path.join(dir, 'folder.workflow.yaml'), 'file-unreadable', /folder\.workflow\.yaml is a folder, not a workflow file/],
    [file('nul.workflow.yaml', Buffer.from([0x6e, 0x61, 0x00, 0xff, 0x10])), 'file-not-text', /is not a text file \(it contains NUL bytes\)/],
    [file('latin1.workflow.yaml', Buffer.from('name: caf\xe9\nsteps: []\n', 'latin1')), 'file-not-text', /it is not valid UTF-8/],
    [file('huge.workflow.yaml', Buffer.alloc(MAX_WORKFLOW_BYTES + 1, 0x61)), 'file-too-large', /a workflow file is at most 4 MB/],
    [path.join(dir, 'file.workflow.yaml', 'below.yaml'), 'file-missing', /a part of the path is a file/],
  ];
  writeFileSync(path.join(dir, 'file.workflow.yaml'), OK);
  for (const [target, codeWanted, message] of cases) {
    const run = await cli(['run', target, '--json']);
    assert.equal(run.code, 2, target);
    assert.equal(jsonError(run.out).code, codeWanted, target);
    assert.match(run.err, message);
    noLeaks(run.err);
    const validate = await cli(['validate', target, path.join(dir, 'file.workflow.yaml')]);
    assert.equal(validate.code, 1, `validate ${target}`);
    assert.match(validate.err, message);
    noLeaks(validate.err);
  }
});

test('empty files, a BOM and CRLF line ends: located problems at the right line and column', async (t) => {
  const { file, cli } = setup(t);
  const empty = await cli(['run', file('empty.workflow.yaml', ''), '--json']);
  assert.equal(empty.code, 2);
  assert.equal(jsonError(empty.out).problems![0].code, 'schema');
  const lf = await cli(['validate', file('lf.workflow.yaml', 'name: x\nsteps:\n  - { id: a, set: "{{ steps.nope.output }}" }\n')]);
  const crlf = await cli(['validate', file('crlf.workflow.yaml', '\ufeffname: x\r\nsteps:\r\n  - { id: a, set: "{{ steps.nope.output }}" }\r\n')]);
  assert.equal(crlf.code, 1);
  assert.equal(crlf.out.replace('crlf', 'lf'), lf.out, 'the same locations with a BOM and CRLF');
  const bomOk = await cli(['run', file('bom.workflow.yaml', `\ufeff${OK.replace(/\n/g, '\r\n')}`), '--json', '-q', '--no-trace']);
  assert.equal(bomOk.code, 0, bomOk.err);
  assert.equal(JSON.parse(bomOk.out).outputs.result, 'done');
});

test('--out is checked before the run: a folder or a path through a file fails at once and runs nothing', async (t) => {
  const { dir, file, cli } = setup(t);
  const wf = file('ok.workflow.yaml', OK);
  const traces = path.join(dir, 'traces');
  for (const out of [dir, path.join(wf, 'result.json')]) {
    const { code, out: stdout, err } = await cli(['run', wf, '--json', '--traces', traces, '--out', out]);
    assert.equal(code, 2, out);
    const error = jsonError(stdout);
    assert.equal(error.code, 'out-unwritable');
    assert.match(err, /cannot write the result there \((it is a folder|a part of the path is a file, not a folder)/);
    assert.match(err, /nothing was run/);
    assert.equal(existsSync(path.join(traces, 'runs')), false, 'no run was recorded');
  }
  const created = path.join(dir, 'new', 'deeper', 'result.json');
  const ok = await cli(['run', wf, '-q', '--traces', traces, '--out', created]);
  assert.equal(ok.code, 0, ok.err);
  assert.ok(existsSync(created));
});

test('if --out fails after the run anyway, the outputs are still printed and the exit status says so', async (t) => {
  const { dir, file } = setup(t);
  const wf = file('ok.workflow.yaml', OK);
  const outDir = path.join(dir, 'results');
  mkdirSync(outDir);
  let out = '';
  let err = '';
  const { main } = await import('../../../src/cli/main');
  const code = await main(['run', wf, '--no-trace', '--out', path.join(outDir, 'result.json')], {
    out: (text) => (out += text),
    err: (text) => {
      err += text;
      // While the run is going, the folder for --out turns into a file.
      if (text.includes('▶ a') && existsSync(outDir)) {
        rmSync(outDir, { recursive: true });
        writeFileSync(outDir, 'not a folder');
      }
    },
    color: false,
    env: { ORCHESTRATE_USE_MOCK: 'true' },
    cwd: dir,
  });
  assert.equal(code, 1);
  assert.match(out, /^result: done$/m, 'the outputs are printed');
  assert.match(err, /error: cannot write --out .*result\.json: a part of the path is a file, not a folder, ENOTDIR; the full result was not saved \(the outputs are above\)$/m);
});

test('usage errors: unknown options with a suggestion, missing values, values on flags; --json answers in JSON', async (t) => {
  const { file, cli } = setup(t);
  const wf = file('ok.workflow.yaml', OK);
  const cases: [string[], RegExp][] = [
    [['run', wf, '--jsno'], /unknown option --jsno; did you mean --json\?/],
    [['run', wf, '--input'], /--input needs a value/],
    [['run', wf, '--input', '--json'], /--input needs a value/],
    [['run', wf, '--out='], /--out needs a value/],
    [['run', wf, '--quiet=yes'], /--quiet takes no value/],
    [['run', wf, '--constructor', 'x'], /unknown option --constructor/],
    [['run', wf, '--__proto__=x'], /unknown option --__proto__=x/],
    [['run', wf, '--mock-delay', '1e400'], /--mock-delay takes a number of milliseconds from 0 to 2147483647/],
    [['run', wf, '--mock-delay', '-5'], /--mock-delay takes a number of milliseconds/],
    [['run', wf, '--traces', 'a', '--traces', 'b'], /--traces is given twice/],
    [['run'], /name the workflow file to run/],
    [['run', wf, wf], /name exactly one workflow file, not 2/],
    [['runs', '--limit', '-1'], /--limit takes a whole number/],
    [['runs', '--limit', '2.5'], /--limit takes a whole number/],
    [['trace'], /name one run id or trace file/],
    [['resume', wf], /is a workflow file; name a run id or a trace file instead/],
  ];
  for (const [args, message] of cases) {
    const human = await cli(args);
    assert.equal(human.code, 2, args.join(' '));
    assert.match(human.err, message, args.join(' '));
    assert.doesNotMatch(human.err, /Usage:/, 'the message, not the whole help, after a usage error');
    if (!args.includes('--json')) assert.equal(human.out, '', 'nothing on stdout without --json');
    const json = args.includes('--json') ? human : await cli([...args, '--json']);
    assert.equal(json.code, 2, `${args.join(' ')} --json`);
    assert.match(jsonError(json.out).message, message);
  }
});

test('runs, trace and resume: a folder named *.jsonl, a folder given as a trace, a binary trace', async (t) => {
  const { dir, file, cli } = setup(t);
  const wf = file('ok.workflow.yaml', OK);
  const traces = path.join(dir, 'traces');
  assert.equal((await cli(['run', wf, '-q', '--traces', traces])).code, 0);
  const slugDir = path.join(traces, 'runs', 'ok');
  mkdirSync(path.join(slugDir, 'not-a-trace.jsonl'));
  mkdirSync(path.join(traces, 'runs', 'index.jsonl.d.jsonl'));
  const runs = await cli(['runs', '--traces', traces, '--json']);
  assert.equal(runs.code, 0, runs.err);
  assert.deepEqual(JSON.parse(runs.out).map((r: { status: string }) => r.status), ['succeeded']);

  const folder = await cli(['trace', path.join(slugDir, 'not-a-trace.jsonl'), '--json']);
  assert.equal(folder.code, 2);
  assert.equal(jsonError(folder.out).code, 'file-unreadable');
  noLeaks(folder.err);

  const binary = file('binary.jsonl', Buffer.from([0x00, 0x01, 0xff, 0x0a, 0x7b, 0x0a]));
  for (const command of ['trace', 'resume']) {
    const bad = await cli([command, binary, '--json']);
    assert.equal(bad.code, 2, command);
    assert.equal(jsonError(bad.out).code, 'trace-garbage', command);
    noLeaks(bad.err);
  }
  const empty = await cli(['trace', file('empty.jsonl', ''), '--json']);
  assert.equal(jsonError(empty.out).code, 'trace-empty');
  const unknown = await cli(['trace', 'no-such-run', '--traces', traces, '--json']);
  assert.equal(jsonError(unknown.out).code, 'run-not-found');
  assert.ok(readdirSync(slugDir).length >= 2);
});

test('property: parseArgs only ever fails with a UsageError, and never takes an option from Object.prototype', () => {
  const spec = { input: { type: 'string' as const, multiple: true, short: 'i' }, json: { type: 'boolean' as const }, out: { type: 'string' as const } };
  const token = fc.oneof(
    fc.constantFrom('--input', '-i', '--json', '--no-json', '--out', '--', '-', '--constructor', '--__proto__', '--toString', '--no-input', '--json=1', '--out=', 'a=b', 'x'),
    fc.string({ maxLength: 12 }),
    fc.string({ maxLength: 8 }).map((s) => `--${s}`),
  );
  fc.assert(
    fc.property(fc.array(token, { maxLength: 8 }), (argv) => {
      try {
        const { options } = parseArgs(argv, spec);
        for (const name of Object.keys(options)) assert.ok(Object.hasOwn(spec, name), name);
        assert.equal(Object.getPrototypeOf(options), null);
        if (options.input) {
          const assigned = parseAssignments(options.input as string[], '--input');
          assert.equal(Object.getPrototypeOf(assigned), null);
        }
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
      }
    }),
  );
});

test('under 2>&1, the closing trace line comes after the whole --json output, even when the pipe fills', { timeout: 60_000 }, async (t) => {
  const { dir, file } = setup(t);
  // About 2 MB of JSON: far more than a pipe holds, so stdout is written in pieces.
  const wf = file('big.workflow.yaml', `name: big\ninputs:\n  big: { default: "${'x'.repeat(1_000_000)}" }\nsteps:\n  - { id: a, set: "{{ inputs.big }}" }\noutputs:\n  big: "{{ steps.a.output }}"\n`);
  const tsx = require.resolve('tsx', { paths: [REPO_ROOT] });
  const entry = path.join(REPO_ROOT, 'test/support/cli-entry.ts');
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, '--import', `file://${tsx}`, entry, 'run', wf, '--json', '-q', '--traces', path.join(dir, 'traces')].map(quote).join(' ');
  const child = spawn('sh', ['-c', `${command} 2>&1`], { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, ORCHESTRATE_USE_MOCK: 'true' } });
  const { code, out } = await exited(child);
  assert.equal(code, 0, out.slice(-2000));
  const end = out.lastIndexOf('\n}\n') + 3;
  const report = JSON.parse(out.slice(0, end));
  assert.equal(report.outputs.big.length, 1_000_000);
  assert.match(out.slice(end), /^trace: \S+\.jsonl\n$/);
  assert.equal(report.trace.endsWith('.jsonl'), true, 'the trace is also in the JSON');
});

test('a reader that goes away (`| head`) does not crash the CLI', { timeout: 60_000 }, async (t) => {
  const { dir, file } = setup(t);
  const wf = file('big.workflow.yaml', `name: big\ninputs:\n  big: { default: "${'y'.repeat(1_000_000)}" }\nsteps:\n  - { id: a, set: "{{ inputs.big }}" }\n`);
  const child = spawnCli(['run', wf, '--json', '-q', '--no-trace'], { cwd: dir, env: { ORCHESTRATE_USE_MOCK: 'true' } });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  // Take the first piece, then hang up, as `head -c 100` does.
  child.stdout!.once('data', () => child.stdout!.destroy());
  const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? signal)));
  assert.equal(code, 0, err);
  assert.doesNotMatch(err, /EPIPE|Unhandled|\n\s+at /);
});

test('a store that cannot be written and a broken config file are told in words', async (t) => {
  const { dir, file, cli } = setup(t);
  const wf = file('ok.workflow.yaml', OK);
  const unrecorded = await cli(['run', wf, '-q', '--traces', path.join(wf, 'below')]);
  assert.equal(unrecorded.code, 0);
  assert.match(unrecorded.err, /warning: cannot record this run in .* \(a part of the path is a file, not a folder, ENOTDIR\); it runs unrecorded/);
  writeFileSync(path.join(dir, 'orchestrate.config.json'), '{"providers": 5}');
  const config = await cli(['run', wf, '--json', '--no-trace']);
  assert.equal(config.code, 2);
  assert.equal(jsonError(config.out).code, 'config-invalid');
  assert.match(config.err, /orchestrate\.config\.json: "providers" must be a list/);
});

test('resume checks --input names like run does', async (t) => {
  const { dir, file, cli } = setup(t);
  const wf = file('fails.workflow.yaml', 'name: fails\ninputs:\n  topic: { default: rye }\nsteps:\n  - { id: a, fail: "no luck with {{ inputs.topic }}" }\n');
  const traces = path.join(dir, 'traces');
  assert.equal((await cli(['run', wf, '-q', '--traces', traces])).code, 1);
  const [run] = JSON.parse((await cli(['runs', '--traces', traces, '--json'])).out);
  const resumed = await cli(['resume', run.id, '--traces', traces, '--json', '--input', 'topc=wheat']);
  assert.equal(resumed.code, 2);
  const error = jsonError(resumed.out);
  assert.equal(error.code, 'input');
  assert.match(error.message, /did you mean `topic`\?/);
});

test('property: an --input name is rejected exactly when the workflow has no input or input: step of that name', async () => {
  const { checkedInputs } = await import('../../../src/cli/inputs');
  const { checkWorkflow } = await import('../../../src/engine');
  const { workflow } = checkWorkflow(WITH_INPUTS, 'asks.workflow.yaml');
  const known = new Set(['topic', 'count', 'confirm']);
  const name = fc.oneof(fc.constantFrom('topic', 'count', 'confirm', 'constructor', '__proto__', 'toString', 'valueOf', 'topics', 'Topic'), fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !s.includes('=')));
  fc.assert(
    fc.property(fc.uniqueArray(name, { maxLength: 5 }), (names) => {
      const given = Object.create(null) as Record<string, string>;
      for (const n of names) given[n] = n === 'count' ? '3' : 'v';
      given.topic ??= 'v';
      try {
        const inputs = checkedInputs(workflow!, {}, given);
        assert.ok(Object.keys(given).every((n) => known.has(n)));
        assert.equal(inputs.topic, given.topic);
      } catch (error) {
        const problems = (error as { problems?: { code: string; message: string }[] }).problems;
        assert.ok(problems, String(error));
        const unknown = problems.filter((p) => p.code === 'input-unknown').map((p) => /^--input (.*): the workflow has no input/s.exec(p.message)?.[1]);
        assert.deepEqual(unknown.sort(), Object.keys(given).filter((n) => !known.has(n)).sort());
      }
    }),
  );
});

test('a `uses:` path that names a folder is reported by validate, not found at run time', async (t) => {
  const { dir, file, cli } = setup(t);
  mkdirSync(path.join(dir, 'sub.workflow.yaml'));
  const wf = file('uses.workflow.yaml', 'name: x\nsteps:\n  - { id: a, uses: sub.workflow.yaml }\n');
  const { code, out } = await cli(['validate', wf]);
  assert.equal(code, 1);
  assert.match(out, /uses\.workflow\.yaml:3:20: workflow-not-found: no workflow file at `sub\.workflow\.yaml`/);
});

test('validate and test take folders: every workflow file under one, in name order; a folder with none is an error', async () => {
  const { dir, remove } = tempDir('orchestrate-cli-folders-');
  after(remove);
  mkdirSync(path.join(dir, 'flows', 'nested'), { recursive: true });
  mkdirSync(path.join(dir, 'flows', 'node_modules'), { recursive: true });
  mkdirSync(path.join(dir, 'empty'));
  const flow = (name: string, extra = '') => `name: ${name}\nmodel: { provider: mock, name: m }\nsteps:\n  - { id: a, prompt: hi, mock: "ok ${name}" }\noutputs: { said: "{{ steps.a.output }}" }\n${extra}`;
  writeFileSync(path.join(dir, 'flows', 'b.workflow.yaml'), flow('b', 'tests:\n  - { name: says ok, expect: [{ contains: ok, output: said }] }\n'));
  writeFileSync(path.join(dir, 'flows', 'nested', 'a.workflow.yaml'), flow('a', 'tests:\n  - { name: says ok too, expect: [{ contains: ok, output: said }] }\n'));
  writeFileSync(path.join(dir, 'flows', 'node_modules', 'skipped.workflow.yaml'), 'not: [a workflow');
  writeFileSync(path.join(dir, 'flows', 'broken.workflow.yaml'), 'name: broken\nsteps:\n  - { id: a, prompt: "{{ steps.nope.output }}" }\n');
  const cli = (args: string[]) => runCli(args, { cwd: dir, env: { ORCHESTRATE_USE_MOCK: 'true' } });

  const validated = await cli(['validate', 'flows']);
  assert.equal(validated.code, 1);
  assert.match(validated.out, new RegExp(`^${path.join('flows', 'broken.workflow.yaml').replace(/\./g, '\\.')}:3:\\d+: unknown-step-ref`, 'm'));
  assert.doesNotMatch(validated.out + validated.err, /skipped/);

  // An invalid file stops `test` before any case runs (exit 2), as when named alone.
  assert.equal((await cli(['test', 'flows', '--quiet', '--no-trace'])).code, 2);
  rmSync(path.join(dir, 'flows', 'broken.workflow.yaml'));
  const tested = await cli(['test', 'flows', '--quiet', '--no-trace']);
  assert.match(tested.out + tested.err, /2 passed, 0 failed of 2/);

  const empty = await cli(['validate', 'empty']);
  assert.equal(empty.code, 2);
  assert.match(empty.err, /empty holds no \.workflow\.yaml files/);
});
