/** `on:` triggers: parsing with located problems, signed webhooks over HTTP, and schedules on a simulated clock. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { SimulatedClock } from '../../../src/engine';
import type { RunBackend } from '../../../src/serve/backend';
import { EmbeddedBackend } from '../../../src/serve/embedded';
import { RunLog } from '../../../src/serve/run-log';
import { Executor } from '../../../src/serve/execute';
import { Scheduler } from '../../../src/serve/scheduler';
import { startServer } from '../../../src/serve/server';
import { signBody, verifySignature } from '../../../src/serve/signature';
import { parseTriggers } from '../../../src/engine/triggers/triggers';
import { checkServedFile } from '../../../src/serve/workflows';
import { TraceStore } from '../../../src/engine/trace';
import * as path from 'node:path';
import { api, tempFolder, waitForEnd } from './helpers';

const HOOKED = `name: on push
on:
  webhook:
    path: /github/push
    secret_env: HOOK_SECRET
    inputs:
      repo: "{{ body.repository.full_name }}"
      commits: "{{ size(body.commits) }}"
      source: github
inputs:
  repo: { type: string, required: true }
  commits: { type: number }
  source: { type: string }
steps:
  - id: summarize
    set: "{{ inputs.repo }} got {{ inputs.commits }} commits from {{ inputs.source }}"
outputs:
  summary: "{{ steps.summarize.output }}"
`;

describe('on: parsing', () => {
  test('a valid block gives webhooks and schedules', () => {
    const { triggers, problems } = parseTriggers(HOOKED, 'a.workflow.yaml');
    assert.deepEqual(problems, []);
    assert.equal(triggers.webhooks[0].path, '/github/push');
    assert.equal(triggers.webhooks[0].signatureHeader, 'x-hub-signature-256');
    const scheduled = parseTriggers('name: x\non:\n  schedule:\n    - cron: "0 9 * * 1-5"\n      timezone: Europe/Paris\n    - cron: "*/5 * * * *"\n      overlap: true\nsteps: []\n', 'a.yaml');
    assert.deepEqual(scheduled.problems, []);
    assert.deepEqual(scheduled.triggers.schedules.map((s) => [s.cron, s.timezone, s.overlap]), [['0 9 * * 1-5', 'Europe/Paris', false], ['*/5 * * * *', 'UTC', true]]);
  });

  test('every mistake is located at file:line:col with a stable code and plain words', () => {
    const cases: [string, string, number, RegExp][] = [
      ['  schedule:\n    cron: "61 * * * *"', 'trigger-cron', 6, /`61 \* \* \* \*` is not a valid cron schedule: invalid value for minute: 61/],
      ['  schedule:\n    cron: "* * *"', 'trigger-cron', 6, /has 3 fields; a cron schedule has five/],
      ['  schedule:\n    cron: "0 9 * * *"\n    timezone: Mars/Olympus', 'trigger-timezone', 7, /`Mars\/Olympus` is not a time zone/],
      ['  schedule:\n    cron: "0 9 * * *"\n    overlap: sometimes', 'trigger-invalid', 7, /`overlap:` is true or false/],
      ['  schedule:\n    cron: "0 9 * * *"\n    every: 5', 'trigger-unknown-key', 7, /unknown key `every` in `schedule`; known keys: cron, timezone, overlap, inputs/],
      ['  webhook:\n    path: github\n    secret_env: S', 'trigger-webhook-path', 6, /needs `path:` like `\/github\/push`/],
      ['  webhook:\n    path: /a', 'trigger-secret-env', 6, /needs `secret_env:`/],
      ['  webhook:\n    path: /a\n    secret_env: S\n    inputs:\n      nope: 1', 'trigger-unknown-input', 9, /`nope` is not an input of this workflow/],
      ['  webhook:\n    path: /a\n    secret_env: S\n    inputs:\n      topic: "{{ body. }}"', 'trigger-expression', 9, /invalid expression `body.` in the webhook's `inputs.topic`/],
      ['  webhook:\n    path: /a\n    secret_env: S\n    inputs:\n      topic: "{{ steps.a }}"', 'trigger-expression', 9, /use `body`/],
      ['  cron: "* * * * *"', 'trigger-unknown-key', 5, /unknown trigger `cron` in `on:`; known triggers: webhook, schedule/],
      ['  - webhook', 'trigger-invalid', 5, /`on:` must be a mapping/],
    ];
    for (const [on, code, line, message] of cases) {
      const text = `name: x\ninputs:\n  topic: { type: string }\non:\n${on}\nsteps:\n  - id: a\n    set: 1\n`;
      const workflow = checkServedWorkflowless(text);
      const problems = parseTriggers(text, 'x.workflow.yaml', workflow).problems;
      assert.equal(problems.length, 1, `${on}: ${JSON.stringify(problems)}`);
      assert.equal(problems[0].code, code, on);
      assert.equal(problems[0].range.start.line, line, `${on}: ${problems[0].message}`);
      assert.match(problems[0].message, message);
      assert.doesNotMatch(problems[0].message, /CronPattern|RangeError|Invalid time zone specified/);
    }
  });

  test('hostile `on:` blocks never throw', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = `name: x\non: ${JSON.stringify(value)}\nsteps: []\n`;
        parseTriggers(text, 'x.yaml');
        parseTriggers(`name: x\non:\n  webhook: ${JSON.stringify(value)}\n  schedule: ${JSON.stringify(value)}\nsteps: []\n`, 'x.yaml');
        parseTriggers(`name: x\non:\n  webhook: { path: /a, secret_env: S, inputs: ${JSON.stringify(value)} }\n  schedule: { cron: "* * * * *", inputs: ${JSON.stringify(value)} }\nsteps: []\n`, 'x.yaml');
      }),
      { numRuns: 300 },
    );
  });
});

function checkServedWorkflowless(text: string) {
  const folder = tempFolder({ 'x.workflow.yaml': text.replace(/^on:[\s\S]*?(?=^steps:)/m, '') });
  try {
    return checkServedFile(folder.dir, path.join(folder.dir, 'x.workflow.yaml')).workflow;
  } finally {
    folder.remove();
  }
}

describe('webhooks', () => {
  test('signature: the HMAC-SHA256 of the exact body is accepted, anything else rejected', () => {
    const body = Buffer.from('{"a":1}');
    assert.ok(verifySignature('s3cret', body, signBody('s3cret', body)));
    assert.ok(verifySignature('s3cret', body, signBody('s3cret', body).slice('sha256='.length)));
    assert.ok(!verifySignature('s3cret', body, signBody('other', body)));
    assert.ok(!verifySignature('s3cret', Buffer.from('{"a":2}'), signBody('s3cret', body)));
    assert.ok(!verifySignature('s3cret', body, undefined));
    assert.ok(!verifySignature('s3cret', body, 'sha256=zz'));
    fc.assert(fc.property(fc.string(), (header) => !verifySignature('s3cret', body, header) || header.includes(signBody('s3cret', body).slice(7))));
  });

  test('a signed request starts the workflow with inputs mapped from its body; a bad signature is a 401', async () => {
    const folder = tempFolder({ 'hooks/push.workflow.yaml': HOOKED });
    const server = await startServer({ root: folder.dir, port: 0, mock: true, env: { HOOK_SECRET: 'hook-secret-123' }, log: () => undefined });
    try {
      const body = JSON.stringify({ repository: { full_name: 'acme/app' }, commits: [{}, {}, {}] });
      const signed = await api<{ id: string }>(server.url, 'POST', '/v1/hooks/github/push', body, { 'x-hub-signature-256': signBody('hook-secret-123', body) });
      assert.equal(signed.status, 201, JSON.stringify(signed.body));
      const state = await waitForEnd(server.url, signed.body.id);
      assert.equal(state.status, 'succeeded');
      assert.equal(state.outputs?.summary, 'acme/app got 3 commits from github');

      for (const headers of [{}, { 'x-hub-signature-256': signBody('wrong-secret', body) }, { 'x-hub-signature-256': signBody('hook-secret-123', `${body} `) }] as Record<string, string>[]) {
        const rejected = await api<{ error: { code: string } }>(server.url, 'POST', '/v1/hooks/github/push', body, headers);
        assert.equal(rejected.status, 401);
        assert.equal(rejected.body.error.code, 'bad-signature');
      }
      assert.equal((await api(server.url, 'POST', '/v1/hooks/nope', body, { 'x-hub-signature-256': signBody('hook-secret-123', body) })).status, 404);
      const unmappable = JSON.stringify({ commits: [] });
      const failed = await api<{ error: { code: string; message: string } }>(server.url, 'POST', '/v1/hooks/github/push', unmappable, { 'x-hub-signature-256': signBody('hook-secret-123', unmappable) });
      assert.equal(failed.status, 422);
      assert.match(failed.body.error.message, /input `repo`/);
    } finally {
      await server.close({ cancel: true });
      folder.remove();
    }
  });

  test('without its secret in the environment a webhook refuses every request', async () => {
    const folder = tempFolder({ 'push.workflow.yaml': HOOKED });
    const server = await startServer({ root: folder.dir, port: 0, mock: true, env: {}, log: () => undefined });
    try {
      const response = await api<{ error: { code: string } }>(server.url, 'POST', '/v1/hooks/github/push', '{}', { 'x-hub-signature-256': signBody('', '{}') });
      assert.equal(response.status, 503);
      assert.equal(response.body.error.code, 'webhook-secret-missing');
    } finally {
      await server.close({ cancel: true });
      folder.remove();
    }
  });
});

describe('schedules on a simulated clock', () => {
  const scheduled = (overlap: boolean) => `name: nightly
on:
  schedule:
    cron: "0 2 * * *"
    timezone: America/New_York
    overlap: ${overlap}
    inputs: { topic: news }
inputs:
  topic: { type: string, required: true }
steps:
  - id: a
    set: "{{ inputs.topic }}"
`;

  async function setUp(overlap: boolean, mockDelayMs: number) {

    const folder = tempFolder({ 'nightly.workflow.yaml': scheduled(overlap) });
    const served = checkServedFile(folder.dir, path.join(folder.dir, 'nightly.workflow.yaml'));
    const executor = new Executor({ root: folder.dir, store: new TraceStore(path.join(folder.dir, '.orchestrate')), env: {}, mock: true, mockDelayMs, cache: 'off', warn: () => undefined });
    const backend = new EmbeddedBackend(executor);
    // 2026-03-01 00:00 in New York is 05:00 UTC.
    const clock = new SimulatedClock(Date.UTC(2026, 2, 1, 5, 0, 0));
    const fired: string[] = [];
    const skipped: string[] = [];
    const scheduler = new Scheduler(folder.dir, backend, clock, { onFired: (_s, _t, record) => fired.push(record.id), onSkipped: (_s, _t, why) => skipped.push(why) });
    scheduler.start([served]);
    return { folder, backend, clock, scheduler, fired, skipped, served };
  }

  test('fires at the cron times in its time zone, and not before', async () => {
    const { folder, backend, clock, scheduler, fired, served } = await setUp(false, 0);
    try {
      assert.deepEqual(Scheduler.nextTimes(served.triggers.schedules[0], clock.now(), 2).map((t) => new Date(t).toISOString()), ['2026-03-01T07:00:00.000Z', '2026-03-02T07:00:00.000Z']);
      await clock.advance(2 * 3600_000 - 1);
      assert.equal(fired.length, 0);
      await clock.advance(1);
      assert.equal(fired.length, 1);
      const record = (await backend.find(fired[0]))!;
      await record.whenEnded();
      assert.equal(record.state.status, 'succeeded');
      assert.equal(record.state.steps.a.output, 'news');
      await clock.advance(24 * 3600_000);
      assert.equal(fired.length, 2);
    } finally {
      await scheduler.stop();
      await backend.close({ cancel: true });
      folder.remove();
    }
  });

  test('no overlapping runs unless `overlap: true`', async () => {
    for (const overlap of [false, true]) {
      const folder = tempFolder({ 'nightly.workflow.yaml': scheduled(overlap) });
      const served = checkServedFile(folder.dir, path.join(folder.dir, 'nightly.workflow.yaml'));
      // A backend whose runs end when the test says, so "still running" is exact.
      const log = new RunLog();
      const backend: RunBackend = {
        mode: 'embedded',
        start: async (request) => log.create(`run-${log.list().length + 1}`, request.served.name, log.list().length),
        find: async (id) => log.get(id),
        list: async () => ({ runs: log.list() }),
        cancel: async () => false,
        close: async () => undefined,
      };
      const clock = new SimulatedClock(Date.UTC(2026, 2, 1, 5, 0, 0));
      const skipped: string[] = [];
      const scheduler = new Scheduler(folder.dir, backend, clock, { onSkipped: (_s, _t, why) => skipped.push(why) });
      scheduler.start([served]);
      try {
        await clock.advance(2 * 3600_000);
        assert.equal(log.list().length, 1);
        await clock.advance(24 * 3600_000);
        if (overlap) {
          assert.equal(log.list().length, 2);
          assert.deepEqual(skipped, []);
          continue;
        }
        assert.equal(log.list().length, 1, 'the second firing was skipped: the first run is still going');
        assert.match(skipped[0], /run run-1 from the last firing is still queued/);
        const first = log.get('run-1')!;
        first.add({ type: 'run.started', runId: 'run-1', seq: 1, time: clock.now(), schemaVersion: 1, workflow: { name: 'nightly', file: served.file }, inputs: {} });
        first.add({ type: 'run.completed', runId: 'run-1', seq: 2, time: clock.now(), outputs: {}, durationMs: 1, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } });
        await clock.advance(24 * 3600_000);
        assert.equal(log.list().length, 2, 'once the run ended, the next firing starts one');
      } finally {
        await scheduler.stop();
        folder.remove();
      }
    }
  });
});
