// `orchestrate run` with tools, as a person runs it: the repository example offline, a
// write that needs `--allow-tools`, a bad pattern, and `--replay` answering tool calls.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { main, type Io } from '../../../src/cli/main';
import { FILESYSTEM_BIN } from './servers';

const root = path.resolve(__dirname, '../../..');

async function cli(args: string[], cwd = mkdtempSync(path.join(tmpdir(), 'orchestrate-cli-tools-')), env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string; cwd: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t), color: false, env: { ORCHESTRATE_USE_MOCK: 'true', PATH: process.env.PATH, ...env }, cwd };
  const code = await main(args, io);
  return { code, out, err, cwd };
}

function traceEvents(folder: string): { type: string; approvedBy?: string; stepId?: string; call?: { cache?: { hit: boolean } } }[] {
  const runs = path.join(folder, 'runs');
  const files = readdirSync(runs, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl') && !f.endsWith('index.jsonl')).sort();
  return readFileSync(path.join(runs, files.at(-1)!), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string });
}

describe('orchestrate run with tools', () => {
  test('the repository summary example runs offline from any folder and records its tool calls', async () => {
    const traces = mkdtempSync(path.join(tmpdir(), 'orchestrate-cli-traces-'));
    const { code, out, err } = await cli(['run', path.join(root, 'examples/repo-summary.workflow.yaml'), '--quiet', '--traces', traces]);
    assert.equal(code, 0, err);
    assert.match(out, /README\.md/);
    const types = traceEvents(traces).map((e) => e.type);
    assert.equal(types.filter((t) => t === 'tool.completed').length, 2);

    const { code: again, err: replayErr } = await cli(['run', path.join(root, 'examples/repo-summary.workflow.yaml'), '--quiet', '--traces', traces, '--replay', readdirSync(path.join(traces, 'runs/repo-summary'))[0].replace(/\.jsonl$/, '')]);
    assert.equal(again, 0, replayErr);
    assert.deepEqual(traceEvents(traces).filter((e) => e.type === 'tool.started').map((e) => e.approvedBy), ['recorded', 'recorded']);
  });

  test('a write tool is denied headless, naming the flag; --allow-tools lets it run', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-cli-write-'));
    const target = path.join(folder, 'out.txt');
    const file = path.join(folder, 'write.workflow.yaml');
    writeFileSync(
      file,
      `name: write
mcp:
  files:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(FILESYSTEM_BIN)}, ${JSON.stringify(folder)}]
steps:
  - id: write
    tool: files.write_file
    with: { path: ${JSON.stringify(target)}, content: written }
`,
    );
    const denied = await cli(['run', file, '--no-trace'], folder);
    assert.equal(denied.code, 1);
    assert.match(denied.err, /tool-denied|needs consent/);
    assert.match(denied.err, /--allow-tools files\.write_file/);
    assert.equal(existsSync(target), false);

    const allowed = await cli(['run', file, '--quiet', '--no-trace', '--allow-tools', 'files.write_file'], folder);
    assert.equal(allowed.code, 0, allowed.err);
    assert.equal(readFileSync(target, 'utf8'), 'written');
  });

  test('a tool loop behind the cache: a second run takes every turn from the cache and still makes the calls; --replay answers them from the trace', async () => {
    const traces = mkdtempSync(path.join(tmpdir(), 'orchestrate-cli-cache-'));
    const example = path.join(root, 'examples/research-assistant.workflow.yaml');
    const cached = { ORCHESTRATE_CACHE_MOCK: 'true' };
    const first = await cli(['run', example, '--quiet', '--traces', traces], undefined, cached);
    assert.equal(first.code, 0, first.err);
    const turn = (events: ReturnType<typeof traceEvents>) => events.find((e) => e.type === 'step.completed' && e.stepId === 'answer')?.call?.cache?.hit;
    assert.equal(turn(traceEvents(traces)), false);

    const second = await cli(['run', example, '--quiet', '--traces', traces], undefined, cached);
    assert.equal(second.code, 0, second.err);
    assert.equal(second.out, first.out);
    const again = traceEvents(traces);
    assert.equal(turn(again), true);
    // Tool results are never cached: the calls ran again, approved as before.
    assert.deepEqual(again.filter((e) => e.type === 'tool.started').map((e) => e.approvedBy), ['read-only', 'read-only']);

    const runs = readdirSync(path.join(traces, 'runs/research-assistant')).filter((f) => f.endsWith('.jsonl')).sort();
    const replay = await cli(['run', example, '--quiet', '--traces', traces, '--replay', runs[0].replace(/\.jsonl$/, '')], undefined, cached);
    assert.equal(replay.code, 0, replay.err);
    assert.equal(replay.out, first.out);
    assert.deepEqual(traceEvents(traces).filter((e) => e.type === 'tool.started').map((e) => e.approvedBy), ['recorded', 'recorded']);
  });

  test('a bad --allow-tools pattern is a usage error before anything runs', async () => {
    const { code, err } = await cli(['run', path.join(root, 'examples/repo-summary.workflow.yaml'), '--allow-tools', 'files.', '--no-trace']);
    assert.notEqual(code, 0);
    assert.match(err, /--allow-tools: tool pattern `files\.` needs a server and a tool/);
  });
});
