// `provider: vscode-lm` with tools: the engine's turns in the editor's language-model API's
// shape (src/extension/runs/lm-messages.ts) and the streamed reply back, without an editor.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ChatMessage } from '../../../src/engine';
import { toFunctionTools } from '../../../src/engine/tools';
import { EMPTY_RESULT, LmReply, toLmMessages, toLmTools, type LmMessage } from '../../../src/extension/runs/lm-messages';

describe('engine turns as language-model messages', () => {
  it('a tool loop: system and user as the user\'s, the calls on the assistant\'s turn, their results together in one user message', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Read a.txt and b.txt' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'c1', name: 'files__read', arguments: '{"path":"a.txt"}' },
          { id: 'c2', name: 'files__read', arguments: '{"path":"b.txt"}' },
        ],
      },
      { role: 'tool', toolCallId: 'c1', content: 'A' },
      { role: 'tool', toolCallId: 'c2', content: '' },
      { role: 'assistant', content: 'Both read.' },
    ];
    assert.deepEqual(toLmMessages(messages), [
      { role: 'user', parts: [{ kind: 'text', value: 'Be brief.' }] },
      { role: 'user', parts: [{ kind: 'text', value: 'Read a.txt and b.txt' }] },
      {
        role: 'assistant',
        parts: [
          { kind: 'tool-call', callId: 'c1', name: 'files__read', input: { path: 'a.txt' } },
          { kind: 'tool-call', callId: 'c2', name: 'files__read', input: { path: 'b.txt' } },
        ],
      },
      {
        role: 'user',
        parts: [
          { kind: 'tool-result', callId: 'c1', text: 'A' },
          { kind: 'tool-result', callId: 'c2', text: EMPTY_RESULT },
        ],
      },
      { role: 'assistant', parts: [{ kind: 'text', value: 'Both read.' }] },
    ] satisfies LmMessage[]);
  });

  it('keeps the assistant\'s text beside its calls; arguments that were no JSON object are sent as none', () => {
    const [message] = toLmMessages([
      {
        role: 'assistant',
        content: 'Let me look.',
        toolCalls: [
          { id: 'x', name: 'f', arguments: '{"path": "a' },
          { id: 'y', name: 'f', arguments: '[1,2]' },
          { id: 'z', name: 'f', arguments: 'null' },
        ],
      },
    ]);
    assert.deepEqual(message, {
      role: 'assistant',
      parts: [
        { kind: 'text', value: 'Let me look.' },
        { kind: 'tool-call', callId: 'x', name: 'f', input: {} },
        { kind: 'tool-call', callId: 'y', name: 'f', input: {} },
        { kind: 'tool-call', callId: 'z', name: 'f', input: {} },
      ],
    });
  });

  it('results that follow a user message start their own message', () => {
    const out = toLmMessages([
      { role: 'user', content: 'go' },
      { role: 'tool', toolCallId: 'a', content: '1' },
    ]);
    assert.equal(out.length, 2);
    assert.deepEqual(out[1]!.parts, [{ kind: 'tool-result', callId: 'a', text: '1' }]);
  });

  it('property: every call is sent with its own id, and every result answers one in the same order; nothing is lost or merged across turns', () => {
    const call = fc.record({ id: fc.string({ minLength: 1, maxLength: 8 }), name: fc.constantFrom('a__b', 'constructor', '__proto__', 'toString'), arguments: fc.json() });
    const turn = fc.array(call, { minLength: 1, maxLength: 4 }).chain((calls) =>
      fc.tuple(fc.string(), fc.constant(calls), fc.array(fc.string(), { minLength: calls.length, maxLength: calls.length })),
    );
    fc.assert(
      fc.property(fc.string(), fc.array(turn, { maxLength: 5 }), (question, turns) => {
        const messages: ChatMessage[] = [{ role: 'user', content: question }];
        for (const [text, calls, results] of turns) {
          messages.push({ role: 'assistant', content: text, toolCalls: calls });
          calls.forEach((c, i) => messages.push({ role: 'tool', toolCallId: c.id, content: results[i]! }));
        }
        const out = toLmMessages(messages);
        assert.equal(out.length, 1 + turns.length * 2);
        turns.forEach(([text, calls, results], t) => {
          const asked = out[1 + t * 2]!;
          const answered = out[2 + t * 2]!;
          assert.equal(asked.role, 'assistant');
          const sentCalls = asked.parts.filter((p) => p.kind === 'tool-call');
          assert.deepEqual(sentCalls.map((p) => p.callId), calls.map((c) => c.id));
          for (const [i, part] of sentCalls.entries()) {
            const parsed: unknown = JSON.parse(calls[i]!.arguments);
            const expected = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {};
            assert.deepEqual(part.input, expected);
          }
          assert.equal(asked.parts.some((p) => p.kind === 'text' && p.value === text), text !== '');
          assert.equal(answered.role, 'user');
          assert.deepEqual(answered.parts, calls.map((c, i) => ({ kind: 'tool-result', callId: c.id, text: results[i] === '' ? EMPTY_RESULT : results[i] })));
        });
      }),
    );
  });
});

describe('the streamed reply', () => {
  it('collects text and calls; a call with no id gets one; arguments go back as JSON text', () => {
    const reply = new LmReply();
    reply.addText('Looking ');
    reply.addToolCall('', 'files__read', { path: 'a.txt' });
    reply.addText('now.');
    reply.addToolCall('id-2', 'files__list', {});
    reply.addToolCall('id-3', 'f', undefined);
    assert.equal(reply.text, 'Looking now.');
    assert.deepEqual(reply.toolCalls, [
      { id: 'call_0', name: 'files__read', arguments: '{"path":"a.txt"}' },
      { id: 'id-2', name: 'files__list', arguments: '{}' },
      { id: 'id-3', name: 'f', arguments: '{}' },
    ]);
  });

  it('property: a call\'s input survives the round trip to the engine and back', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (input) => {
        const reply = new LmReply();
        reply.addToolCall('c', 'f', input);
        const [call] = reply.toolCalls;
        const [message] = toLmMessages([{ role: 'assistant', content: '', toolCalls: [call!] }]);
        const part = message!.parts[0]!;
        assert.ok(part.kind === 'tool-call');
        assert.deepEqual(part.input, JSON.parse(JSON.stringify(input)));
      }),
    );
  });
});

describe('tools offered', () => {
  it('function tools become the API\'s tools: name, description (empty when none), input schema', () => {
    const set = toFunctionTools([
      { server: 'files', name: 'read.text', qualifiedName: 'files.read.text', description: 'Reads a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
      { server: 'files', name: 'list', qualifiedName: 'files.list', inputSchema: { type: 'object' } },
    ]);
    assert.deepEqual(toLmTools(set.definitions), [
      { name: 'files__read_text', description: 'Reads a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
      { name: 'files__list', description: '', inputSchema: { type: 'object', properties: {} } },
    ]);
  });
});
