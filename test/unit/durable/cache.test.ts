import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { createResolver } from '../../../src/engine/providers';
import { runWorkflow, type ModelRequest } from '../../../src/engine';
import { CACHE_ENTRY_VERSION, cacheKey, CacheStore, cachingProvider, cachingResolver, canonicalJson } from '../../../src/engine/cache';
import { SimulatedClock } from '../../../src/engine/clock';
import { CountingProvider, only, tempDir, writeWorkflow } from '../../support/durable';

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    provider: 'counting',
    model: 'm',
    messages: [{ role: 'user', content: 'Hello' }],
    params: { temperature: 0.2 },
    signal: new AbortController().signal,
    stepId: 's',
    attempt: 1,
    ...overrides,
  };
}

test('canonical JSON spells equal values one way', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }), '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
  assert.equal(canonicalJson({ a: 1n }), '{"a":1}');
});

test('the key covers provider, model, params, messages and schema, and nothing else', () => {
  const base = cacheKey(request(), 'p');
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(cacheKey(request({ params: { temperature: 0.2, max_tokens: undefined } }), 'p'), base, 'undefined params do not count');
  assert.equal(cacheKey(request({ stepId: 'other', attempt: 2, visit: 3 }), 'p'), base, 'who asks does not count');
  assert.notEqual(cacheKey(request(), 'q'), base);
  assert.notEqual(cacheKey(request({ model: 'n' }), 'p'), base);
  assert.notEqual(cacheKey(request({ params: { temperature: 0.3 } }), 'p'), base);
  assert.notEqual(cacheKey(request({ messages: [{ role: 'user', content: 'Hello!' }] }), 'p'), base);
  assert.notEqual(cacheKey(request({ outputSchema: { type: 'object' } }), 'p'), base);
});

test('keys are content addresses that do not change between versions of Orchestrate', () => {
  // Pinned: a key that changes silently would turn every stored reply into a miss.
  assert.equal(cacheKey(request(), 'p'), '19477d2f8f1cc918e4c1a39f0b00fa00d6ecf194881a1fc6b03b27b63a45ba9e');
});

test('entries are written with the entry version and dated by the injected clock', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const store = new CacheStore(path.join(dir, 'cache'));
  const inner = new CountingProvider();
  const clock = new SimulatedClock(Date.UTC(2030, 5, 1));
  const reply = await cachingProvider(inner, store, 'reuse', { clock }).complete(request());
  const entry = await store.get(reply.cache!.key);
  assert.equal(entry?.v, CACHE_ENTRY_VERSION);
  assert.equal(entry?.createdAt, Date.UTC(2030, 5, 1));
});

test('reuse: the first call is a miss and is stored; the same call is a hit that costs nothing', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const inner = new CountingProvider();
  const store = new CacheStore(path.join(dir, 'cache'));
  const cached = cachingProvider(inner, store, 'reuse');
  const miss = await cached.complete(request());
  assert.equal(miss.cache?.hit, false);
  const hit = await cached.complete(request());
  assert.deepEqual(hit.cache, { hit: true, key: miss.cache!.key });
  assert.equal(hit.costUsd, 0);
  assert.equal(hit.text, miss.text);
  assert.deepEqual(hit.usage, miss.usage);
  assert.equal(inner.calls.length, 1);
  const entry = JSON.parse(readFileSync(store.pathOf(miss.cache!.key), 'utf8'));
  assert.equal(entry.response.text, miss.text);
  assert.equal(entry.provider, 'counting');
});

test('refresh calls and overwrites; off and `cache: false` never touch the cache; a retry always calls', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const inner = new CountingProvider();
  const store = new CacheStore(path.join(dir, 'cache'));
  await cachingProvider(inner, store, 'reuse').complete(request());
  const refreshed = await cachingProvider(inner, store, 'refresh').complete(request());
  assert.equal(refreshed.cache?.hit, false);
  assert.equal(inner.calls.length, 2);
  const off = await cachingProvider(inner, store, 'off').complete(request());
  assert.equal(off.cache, undefined);
  const bypassed = await cachingProvider(inner, store, 'reuse').complete(request({ cache: false }));
  assert.equal(bypassed.cache, undefined);
  const retry = await cachingProvider(inner, store, 'reuse').complete(request({ attempt: 2 }));
  assert.equal(retry.cache?.hit, false, 'a retry means the last reply was rejected, so it is not served again');
  assert.equal(inner.calls.length, 5);
});

test('a garbage cache file is a miss with a warning, then rewritten; never a crash', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const warnings: string[] = [];
  const inner = new CountingProvider();
  const store = new CacheStore(path.join(dir, 'cache'), { onWarning: (m) => warnings.push(m) });
  const key = cacheKey(request(), inner.id);
  mkdirSync(path.dirname(store.pathOf(key)), { recursive: true });
  for (const garbage of ['{"v":1,"key":"', '', '[1,2]', JSON.stringify({ v: 99, key, response: { text: 'x' } })]) {
    writeFileSync(store.pathOf(key), garbage);
    const reply = await cachingProvider(inner, store, 'reuse').complete(request());
    assert.equal(reply.cache?.hit, false);
  }
  assert.equal(inner.calls.length, 4);
  assert.equal(warnings.length, 4);
  assert.match(warnings[0], /is not valid JSON .*calling the model/);
  assert.match(warnings[1], /the file is empty/);
  assert.match(warnings[3], /has version 99/);
  const hit = await cachingProvider(inner, store, 'reuse').complete(request());
  assert.equal(hit.cache?.hit, true, 'the entry was rewritten');
});

test('concurrent writers of one key leave one whole entry and no temporary files', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const store = new CacheStore(path.join(dir, 'cache'));
  const key = 'ab'.repeat(32);
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      store.put({ v: 1, key, createdAt: i, provider: 'p', model: 'm', response: { text: `reply ${i} ${'x'.repeat(20_000)}` } }),
    ),
  );
  assert.deepEqual(readdirSync(path.dirname(store.pathOf(key))), [`${key}.json`]);
  const entry = await store.get(key);
  assert.match(entry!.response.text, /^reply \d+ x{20000}$/);
});

test('the mock provider is not cached unless asked', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const store = new CacheStore(path.join(dir, 'cache'));
  const resolver = createResolver({});
  const plain = cachingResolver(resolver, store, 'reuse').resolve('mock');
  assert.equal((await plain.complete(request({ provider: 'mock' }))).cache, undefined);
  const cached = cachingResolver(resolver, store, 'reuse', { cacheMock: true }).resolve('mock');
  assert.equal((await cached.complete(request({ provider: 'mock' }))).cache?.hit, false);
  assert.equal((await cached.complete(request({ provider: 'mock' }))).cache?.hit, true);
});

test('in a run: a hit is recorded in the call, left out of the totals, and `cache: false` on a step bypasses it', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const workflow = writeWorkflow(
    path.join(dir, 'w.workflow.yaml'),
    `name: W
model: { provider: counting, name: m }
steps:
  - id: a
    prompt: Hello.
  - id: fresh
    cache: false
    prompt: Always new.
`,
  );
  const inner = new CountingProvider();
  const providers = cachingResolver(only(inner), new CacheStore(path.join(dir, 'cache')), 'reuse');
  const first = await runWorkflow(workflow, { providers });
  const events: { type: string; stepId?: string; call?: { cache?: { hit: boolean } } }[] = [];
  const second = await runWorkflow(workflow, { providers, onEvent: (e) => events.push(e) });
  assert.deepEqual(inner.steps, ['a', 'fresh', 'fresh']);
  const a = events.find((e) => e.type === 'step.completed' && e.stepId === 'a');
  assert.equal(a?.call?.cache?.hit, true);
  const fresh = events.find((e) => e.type === 'step.completed' && e.stepId === 'fresh');
  assert.equal(fresh?.call?.cache, undefined);
  assert.equal(second.usage.totalTokens, first.steps.fresh.usage!.totalTokens, 'only the real call counts');
  assert.equal(second.steps.a.output, first.steps.a.output);
});

test('a structured step reads its JSON back from the cache', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const workflow = writeWorkflow(
    path.join(dir, 'w.workflow.yaml'),
    `name: W
model: { provider: counting, name: m }
steps:
  - id: s
    prompt: Slogans.
    output:
      schema: { type: object, properties: { slogans: { type: array, items: { type: string } } }, required: [slogans] }
`,
  );
  const inner = new CountingProvider();
  const providers = cachingResolver(only(inner), new CacheStore(path.join(dir, 'cache')), 'reuse');
  const first = await runWorkflow(workflow, { providers });
  const second = await runWorkflow(workflow, { providers });
  assert.equal(second.status, 'succeeded');
  assert.deepEqual(second.outputs, first.outputs);
  assert.deepEqual(second.steps.s.output, first.steps.s.output);
  assert.equal(inner.calls.length, 1);
});
