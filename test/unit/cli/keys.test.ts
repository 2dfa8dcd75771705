/**
 * A key never reaches a file: run real workflows through the CLI against an
 * OpenAI-compatible server on loopback, once with a good key and once with a bad
 * one the server echoes back, then search every file the runs wrote.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { main, type Io } from '../../../src/cli/main';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai-server';

const GOOD_KEY = 'sk-test-good-0123456789abcdefghij';
const BAD_KEY = 'sk-test-bad-9876543210zyxwvutsrq';
let server: FakeOpenAI;

before(async () => {
  server = await startFakeOpenAI({ apiKey: GOOD_KEY, reply: 'a real reply' });
});
after(() => server.close());

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

async function cli(cwd: string, key: string, args: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const io: Io = {
    out: (t) => (text += t),
    err: (t) => (text += t),
    color: false,
    env: { OPENAI_API_KEY: key, OPENAI_BASE_URL: `${server.url}/v1` },
    cwd,
  };
  return { code: await main(args, io), text };
}

test('no key appears in traces, the cache, results or output', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'orchestrate-keys-'));
  const file = path.join(cwd, 'keys.workflow.yaml');
  writeFileSync(
    file,
    [
      'name: keys',
      'model: { provider: openai, name: gpt-4o-mini }',
      'steps:',
      '  - { id: first, prompt: "Say something" }',
      '  - { id: second, prompt: "Again: {{ steps.first.output }}", retries: 1, retry_delay: 0s }',
    ].join('\n'),
  );
  const traces = path.join(cwd, '.orchestrate');
  const good = await cli(cwd, GOOD_KEY, ['run', file, '--traces', traces, '--out', path.join(cwd, 'result.json')]);
  assert.equal(good.code, 0, good.text);
  const bad = await cli(cwd, BAD_KEY, ['run', file, '--traces', traces, '--no-cache', '--json']);
  assert.equal(bad.code, 1, bad.text);
  assert.match(bad.text, /rejected/);
  assert.ok(server.requests.some((r) => JSON.stringify(r.headers).includes(BAD_KEY)), 'the bad key reached the server');

  const written = filesUnder(cwd).filter((f) => f !== file);
  assert.ok(written.some((f) => f.endsWith('.jsonl')), 'traces were written');
  assert.ok(written.some((f) => f.includes(`${path.sep}cache${path.sep}`)), 'the cache was written');
  for (const written_file of written) {
    const content = readFileSync(written_file, 'utf8');
    for (const key of [GOOD_KEY, BAD_KEY]) assert.ok(!content.includes(key), `${written_file} contains a key`);
  }
  for (const key of [GOOD_KEY, BAD_KEY]) assert.ok(!good.text.includes(key) && !bad.text.includes(key), 'the output contains a key');
});
