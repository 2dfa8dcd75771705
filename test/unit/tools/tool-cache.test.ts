// The model-call cache and tools: a prompt's key holds the tools offered (names,
// descriptions, input schemas) and the calls and results so far, so the same prompt
// with another tool list is another key, a cached turn that asked for calls makes
// them again (tool results are never cached), and a final reply is served only after
// the very same results. Requests without tools key as they always did.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { ChatMessage, ModelRequest, RunEvent, Workflow } from '../../../src/engine';
import { cacheKey, cachingProvider, canonicalJson, CacheStore } from '../../../src/engine/cache';
import { headlessToolSession } from '../../../src/engine/run/headless-tools';
import type { FunctionToolDefinition } from '../../../src/engine/tools';
import { load, run, ScriptedProvider } from '../../support/engine';
import { FILESYSTEM_BIN } from './servers';

const tool = (name: string, parameters: Record<string, unknown> = { type: 'object', properties: {} }, description?: string): FunctionToolDefinition => ({
  type: 'function',
  function: { name, parameters, ...(description ? { description } : {}) },
});

const base: Pick<ModelRequest, 'model' | 'params' | 'messages' | 'outputSchema' | 'mock' | 'tools'> = {
  model: 'gpt-4o-mini',
  params: {},
  messages: [{ role: 'user', content: 'Read the notes.' }],
};

const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
const schema = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
const toolList = fc.uniqueArray(fc.record({ name, parameters: schema }), { selector: (t) => t.name, maxLength: 4 }).map((list) => list.map((t) => tool(t.name, t.parameters)));

describe('the cache key of a prompt with tools', () => {
  test('the same prompt with a different tool list (names or input schemas) is a different key; the same list is the same key', () => {
    fc.assert(
      fc.property(toolList, toolList, (a, b) => {
        const same = canonicalJson(a) === canonicalJson(b);
        assert.equal(cacheKey({ ...base, tools: a }, 'openai') === cacheKey({ ...base, tools: b }, 'openai'), same);
      }),
    );
    const read = tool('files__read_text_file', { type: 'object', properties: { path: { type: 'string' } } });
    const readWithHead = tool('files__read_text_file', { type: 'object', properties: { path: { type: 'string' }, head: { type: 'number' } } });
    assert.notEqual(cacheKey({ ...base, tools: [read] }, 'openai'), cacheKey({ ...base, tools: [readWithHead] }, 'openai'));
    assert.notEqual(cacheKey({ ...base, tools: [read] }, 'openai'), cacheKey(base, 'openai'));
    assert.notEqual(cacheKey({ ...base, tools: [read] }, 'openai'), cacheKey({ ...base, tools: [tool('files__read_text_file', read.function.parameters, 'Reads a file')] }, 'openai'));
  });

  test('the calls the model asked for and the results sent back are part of the key', () => {
    const asked: ChatMessage = { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'files__read_text_file', arguments: '{"path":"a.txt"}' }] };
    const key = (result: string, args = '{"path":"a.txt"}') =>
      cacheKey({ ...base, tools: [tool('files__read_text_file')], messages: [...base.messages, { ...asked, toolCalls: [{ ...asked.toolCalls![0], arguments: args }] }, { role: 'tool', toolCallId: 'c1', content: result }] }, 'openai');
    assert.equal(key('alpha'), key('alpha'));
    assert.notEqual(key('alpha'), key('gamma'));
    assert.notEqual(key('alpha'), key('alpha', '{"path":"b.txt"}'));
  });

  test('a request without tools keys exactly as before tools existed (old cache entries stay valid)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ role: fc.constantFrom('system' as const, 'user' as const), content: fc.string() }), { minLength: 1, maxLength: 4 }), fc.string(), (messages, model) => {
        const old = createHash('sha256')
          .update(canonicalJson({ v: 1, provider: 'openai', model, params: {}, messages, outputSchema: undefined, mock: undefined }))
          .digest('hex');
        assert.equal(cacheKey({ model, params: {}, messages }, 'openai'), old);
      }),
    );
  });
});

describe('cache entries with tool calls', () => {
  test('a reply’s calls are stored with it; an entry whose calls are not `{ id, name, arguments }` texts is a miss with a warning', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-cache-calls-'));
    try {
      const warnings: string[] = [];
      const store = new CacheStore(dir, { onWarning: (message) => warnings.push(message) });
      const calls = [{ id: 'c1', name: 'files__read_text_file', arguments: '{"path":"a.txt"}' }];
      const inner = new ScriptedProvider(() => ({ text: '', toolCalls: calls }));
      const provider = cachingProvider(inner, store, 'reuse');
      const request: ModelRequest = { provider: 'scripted', ...base, tools: [tool('files__read_text_file')], signal: new AbortController().signal, stepId: 's', attempt: 1 };
      await provider.complete(request);
      const hit = await provider.complete(request);
      assert.deepEqual(hit.toolCalls, calls);
      assert.equal(hit.cache?.hit, true);

      for (const garbage of [[{ id: 1, name: 'x', arguments: '{}' }], 'not a list', [null], [{ id: 'c', name: 'x', arguments: { path: 'a' } }], [{ __proto__: { id: 'c', name: 'x', arguments: '{}' } }]]) {
        const key = hit.cache!.key;
        const entry = JSON.parse(readFileSync(store.pathOf(key), 'utf8')) as { response: Record<string, unknown> };
        entry.response.toolCalls = garbage;
        writeFileSync(store.pathOf(key), JSON.stringify(entry));
        const before = inner.requests.length;
        const again = await provider.complete(request);
        assert.equal(again.cache?.hit, false);
        assert.equal(inner.requests.length, before + 1);
        assert.match(warnings.at(-1) ?? '', /has tool calls that are not/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a tool loop behind the cache', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-tool-cache-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  function workflow(tools = '[files.read_text_file]', cache = ''): Workflow {
    return load(`
      name: cached loop
      mcp:
        files:
          command: ${JSON.stringify(process.execPath)}
          args: [${JSON.stringify(FILESYSTEM_BIN)}, ${JSON.stringify(folder)}]
          approval: { read_only: allow }
      model: { provider: scripted, name: m }
      steps:
        - id: answer
          prompt: Read a.txt and answer.
          tools: ${tools}
          ${cache}
    `);
  }

  /** A model that reads a.txt first, then answers with what the tool returned. */
  function model(): ScriptedProvider {
    return new ScriptedProvider((request) => {
      const last = request.messages.at(-1)!;
      if (last.role === 'tool') return { text: `answer: ${last.content}` };
      return { text: '', toolCalls: [{ id: `call_${request.messages.length}`, name: 'files__read_text_file', arguments: JSON.stringify({ path: path.join(folder, 'a.txt') }) }] };
    });
  }

  async function cachedRun(wf: Workflow, inner: ScriptedProvider, store: CacheStore) {
    const provider = cachingProvider(inner, store, 'reuse');
    const before = inner.requests.length;
    const { result, events } = await run(wf, { id: 'scripted', complete: (r) => provider.complete(r), discard: (k) => provider.discard!(k) }, { tools: await headlessToolSession({ workspaceFolder: folder, env: {} }) });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    const toolCalls = events.filter((e): e is Extract<RunEvent, { type: 'tool.started' }> => e.type === 'tool.started');
    const completed = events.find((e): e is Extract<RunEvent, { type: 'step.completed' }> => e.type === 'step.completed' && e.stepId === 'answer');
    return { output: result.steps.answer.output, modelCalls: inner.requests.length - before, toolCalls: toolCalls.map((e) => e.approvedBy), hit: completed?.call?.cache?.hit };
  }

  test('a cached turn that asked for calls makes them again; the final reply is served only for the same results; another tool list misses', async () => {
    const store = new CacheStore(path.join(folder, 'cache'));
    const inner = model();
    writeFileSync(path.join(folder, 'a.txt'), 'alpha');

    const first = await cachedRun(workflow(), inner, store);
    assert.deepEqual(first, { output: 'answer: alpha', modelCalls: 2, toolCalls: ['read-only'], hit: false });

    // Every model turn from the cache, and the tool still runs: tool results are never cached.
    const second = await cachedRun(workflow(), inner, store);
    assert.deepEqual(second, { output: 'answer: alpha', modelCalls: 0, toolCalls: ['read-only'], hit: true });

    // The file changed: the first turn is a hit (same prompt, same tools), the call runs, and its new result makes the final turn a miss.
    writeFileSync(path.join(folder, 'a.txt'), 'gamma');
    const third = await cachedRun(workflow(), inner, store);
    assert.deepEqual(third, { output: 'answer: gamma', modelCalls: 1, toolCalls: ['read-only'], hit: false });

    // The same prompt offering another tool list asks the model again from the first turn.
    const other = await cachedRun(workflow('[files.read_text_file, files.list_directory]'), inner, store);
    assert.deepEqual(other, { output: 'answer: gamma', modelCalls: 2, toolCalls: ['read-only'], hit: false });

    // `cache: false` on the step: every turn goes to the model.
    const uncached = await cachedRun(workflow('[files.read_text_file]', 'cache: false'), inner, store);
    assert.equal(uncached.modelCalls, 2);
  });
});
