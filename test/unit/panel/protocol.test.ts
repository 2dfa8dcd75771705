import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { RunEvent } from '../../../src/engine';
import {
  command,
  isOpenableLink,
  notification,
  parseHostMessage,
  parseUiState,
  parseWebviewMessage,
  reply,
  replyError,
  request,
  type RequestMessage,
} from '../../../src/shared/protocol';
import { coalesceDeltas, EventBatcher, type BatchScheduler } from '../../../src/shared/event-batcher';

describe('messages', () => {
  test('what the webview builds, the host accepts as is (through a JSON round trip, as postMessage does)', () => {
    const messages = [
      command('ready', {}),
      command('step/reveal', { stepId: 'a' }),
      command('link/open', { href: 'https://example.com' }),
      command('webview/error', { message: 'boom' }),
      request(1, 'run/control', { runId: 'r', action: 'pause' }),
      request(2, 'run/rerun', { runId: 'r', stepId: 'b' }),
      request(3, 'clipboard/write', { text: 'x' }),
    ];
    for (const message of messages) assert.deepEqual(parseWebviewMessage(JSON.parse(JSON.stringify(message))), message);
  });

  test('the host rejects anything malformed: unknown methods, wrong types, missing ids, prototype keys', () => {
    const bad: unknown[] = [
      null,
      'ready',
      [],
      { type: 'command', method: 'ready' },
      { type: 'command', method: 'nope', params: {} },
      { type: 'command', method: 'toString', params: {} },
      { type: 'command', method: '__proto__', params: {} },
      { type: 'command', method: 'step/reveal', params: { stepId: 3 } },
      { type: 'request', method: 'run/control', params: { runId: 'r', action: 'pause' } },
      { type: 'request', id: 1.5, method: 'run/control', params: { runId: 'r', action: 'pause' } },
      { type: 'request', id: 1, method: 'run/control', params: { runId: 'r', action: 'explode' } },
      { type: 'request', id: 1, method: 'run/rerun', params: { runId: 'r' } },
      { type: 'notification', method: 'run/show', params: {} },
      { type: 'request', id: 1, method: 'ready', params: {} },
    ];
    for (const message of bad) assert.equal(parseWebviewMessage(message), undefined, JSON.stringify(message));
  });

  test('random values are never taken for messages unless they are well-formed', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = parseWebviewMessage(value);
        if (parsed) assert.ok(parsed.type === 'command' || parsed.type === 'request');
      }),
    );
  });

  test('a request gets a response with the same id and method, with a result or an error', () => {
    const req = request(7, 'run/rerun', { runId: 'r', stepId: 'b' }) as RequestMessage<'run/rerun'>;
    assert.deepEqual(reply(req, { runId: 'r2' }), { type: 'response', id: 7, method: 'run/rerun', ok: true, result: { runId: 'r2' } });
    assert.deepEqual(replyError(req, 'no'), { type: 'response', id: 7, method: 'run/rerun', ok: false, error: 'no' });
    assert.ok(parseHostMessage(JSON.parse(JSON.stringify(reply(req, {})))));
  });

  test('the webview accepts the host’s notifications and responses only', () => {
    assert.ok(parseHostMessage(notification('panel/empty', { message: 'nothing' })));
    assert.ok(parseHostMessage(notification('run/events', { runId: 'r', events: [] })));
    assert.equal(parseHostMessage({ type: 'notification', method: 'evil', params: {} }), undefined);
    assert.equal(parseHostMessage({ type: 'response', method: 'run/control', ok: true }), undefined);
    assert.equal(parseHostMessage({ vscodeScheduleAsyncWork: true }), undefined);
  });
});

describe('UI state', () => {
  test('keeps only well-formed fields', () => {
    assert.deepEqual(parseUiState(undefined), {});
    assert.deepEqual(parseUiState({ selectedStepId: 'a', tab: 'prompt', raw: true, expanded: ['x', 3], listScroll: 12, source: { kind: 'trace', traceFile: '/t.jsonl' } }), {
      selectedStepId: 'a',
      tab: 'prompt',
      raw: true,
      expanded: ['x'],
      listScroll: 12,
      source: { kind: 'trace', traceFile: '/t.jsonl' },
    });
    assert.deepEqual(parseUiState({ tab: 'secrets', source: { kind: 'trace' }, listScroll: Infinity }), {});
  });
});

describe('links', () => {
  test('only http and https leave the panel', () => {
    for (const ok of ['http://example.com', 'https://example.com/a?b#c']) assert.equal(isOpenableLink(ok), true, ok);
    for (const bad of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>', 'file:///etc/passwd', 'command:workbench.action.quit', 'vscode://x', 'mailto:a@b.c', '/relative', '#anchor', ''])
      assert.equal(isOpenableLink(bad), false, bad);
  });
});

/** A clock and timers the test moves by hand. */
class FakeScheduler implements BatchScheduler {
  time = 0;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 1;
  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.time = next.at;
      next.callback();
    }
    this.time = until;
  }
}

const started = (stepId: string, seq: number, attempt = 1): RunEvent => ({ runId: 'r', seq, time: seq, type: 'step.started', stepId, visit: 1, kind: 'prompt', attempt });
const delta = (stepId: string, seq: number, text: string, attempt = 1, index?: number): RunEvent => ({ runId: 'r', seq, time: seq, type: 'step.delta', stepId, visit: 1, attempt, text, ...(index === undefined ? {} : { index }) });
const completed = (stepId: string, seq: number): RunEvent => ({ runId: 'r', seq, time: seq, type: 'step.completed', stepId, visit: 1, attempt: 1, output: 'x', durationMs: 1 });

describe('event batching on the host', () => {
  test('at most one post per frame, however many events come', () => {
    const scheduler = new FakeScheduler();
    const posts: { at: number; events: RunEvent[] }[] = [];
    const batcher = new EventBatcher((events) => posts.push({ at: scheduler.time, events }), { scheduler, intervalMs: 16 });
    let seq = 0;
    for (let ms = 0; ms < 1000; ms++) {
      for (let step = 0; step < 20; step++) batcher.push(delta(`s${step}`, ++seq, 't '));
      scheduler.advance(1);
    }
    scheduler.advance(100);
    for (let i = 1; i < posts.length; i++) assert.ok(posts[i].at - posts[i - 1].at >= 16, `posts ${i - 1} and ${i} are ${posts[i].at - posts[i - 1].at}ms apart`);
    assert.ok(posts.length <= Math.ceil(1000 / 16) + 1, `${posts.length} posts`);
    // Deltas of a step are merged: one per step per post, and no text is lost.
    for (const post of posts) assert.ok(post.events.length <= 20);
    const text = posts.flatMap((p) => p.events).filter((e) => e.type === 'step.delta' && e.stepId === 's7').map((e) => (e.type === 'step.delta' ? e.text : '')).join('');
    assert.equal(text, 't '.repeat(1000));
  });

  test('the first event after a quiet spell goes out at once', () => {
    const scheduler = new FakeScheduler();
    const posts: RunEvent[][] = [];
    const batcher = new EventBatcher((events) => posts.push(events), { scheduler });
    scheduler.advance(1000);
    batcher.push(started('a', 1));
    scheduler.advance(0);
    assert.equal(posts.length, 1);
  });

  test('a delta never moves past another event of its step; other steps’ events stay in order', () => {
    const events = [started('a', 1), delta('a', 2, 'x'), started('b', 3), delta('a', 4, 'y'), delta('b', 5, 'p'), completed('a', 6), delta('a', 7, 'late'), delta('b', 8, 'q')];
    const out = coalesceDeltas(events);
    assert.deepEqual(
      out.map((e) => `${e.type}:${'stepId' in e ? e.stepId : ''}${e.type === 'step.delta' ? `=${e.text}` : ''}`),
      ['step.started:a', 'step.delta:a=xy', 'step.started:b', 'step.delta:b=pq', 'step.completed:a', 'step.delta:a=late'],
    );
  });

  test('deltas of different attempts or map items are not merged', () => {
    const out = coalesceDeltas([delta('a', 1, 'x', 1), delta('a', 2, 'y', 2), delta('m', 3, 'i0', 1, 0), delta('m', 4, 'i1', 1, 1), delta('m', 5, 'i0!', 1, 0)]);
    assert.deepEqual(
      out.map((e) => (e.type === 'step.delta' ? e.text : '')),
      ['x', 'y', 'i0i0!', 'i1'],
    );
  });

  test('merging never writes into the caller’s events', () => {
    const first = delta('a', 1, 'x');
    coalesceDeltas([first, delta('a', 2, 'y')]);
    assert.equal(first.type === 'step.delta' && first.text, 'x');
  });

  test('clear drops what is pending; dispose stops it for good', () => {
    const scheduler = new FakeScheduler();
    const posts: RunEvent[][] = [];
    const batcher = new EventBatcher((events) => posts.push(events), { scheduler });
    batcher.push(started('a', 1));
    batcher.clear();
    scheduler.advance(100);
    assert.equal(posts.length, 0);
    batcher.dispose();
    batcher.push(started('a', 2));
    scheduler.advance(100);
    assert.equal(posts.length, 0);
  });
});
