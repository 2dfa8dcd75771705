/**
 * The fake server itself: other suites rely on it behaving like the real protocol,
 * so its own behaviour is pinned here with plain `fetch`, no SDK.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { exampleFor, startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai-server';

async function post(fake: FakeOpenAI, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${fake.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k', ...headers },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello world' }], ...body }),
  });
}

/** The `data:` payloads of an SSE body. */
async function events(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice(6))
    .map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
}

describe('fake OpenAI server', () => {
  let fake: FakeOpenAI;
  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  test('listens on 127.0.0.1 and gives a /v1 base URL', () => {
    assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  test('streams chunks, a finish reason, a usage chunk when asked, then [DONE]', async () => {
    const response = await post(fake, { stream: true, stream_options: { include_usage: true } });
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const data = (await events(response)) as { choices: { delta: { content?: string }; finish_reason: string | null }[]; usage?: unknown }[];
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, 'You said: hello world');
    assert.equal(chunks.at(-2)!.choices[0]!.finish_reason, 'stop');
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.deepEqual(chunks.at(-1)!.usage, { prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });
  });

  test('no usage chunk unless asked', async () => {
    const data = await events(await post(fake, { stream: true }));
    assert.equal(data.at(-1), '[DONE]');
    assert.ok(data.slice(0, -1).every((d) => (d as { usage?: unknown }).usage === undefined));
  });

  test('answers without streaming too', async () => {
    const body = (await (await post(fake, {})).json()) as { choices: { message: { content: string } }[]; usage: { total_tokens: number } };
    assert.equal(body.choices[0]!.message.content, 'You said: hello world');
    assert.equal(body.usage.total_tokens, 9);
  });

  test('records requests and counts calls', async () => {
    await (await post(fake, { temperature: 0.5 }, { 'x-probe': '1' })).text();
    assert.equal(fake.calls, 1);
    assert.equal(fake.requests[0]!.body!.temperature, 0.5);
    assert.equal(fake.requests[0]!.headers['x-probe'], '1');
    assert.equal(fake.requests[0]!.status, 200);
  });

  test('scripted faults apply to the next requests in order, then normal service resumes', async () => {
    fake.script({ kind: 'status', status: 429, retryAfter: 3 }, { kind: 'ok' }, { kind: 'status', status: 500 });
    const first = await post(fake, {});
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '3');
    assert.equal(((await first.json()) as { error: { code: string } }).error.code, 'rate_limit_exceeded');
    assert.equal((await post(fake, {})).status, 200);
    assert.equal((await post(fake, {})).status, 500);
    assert.equal((await post(fake, {})).status, 200);
  });

  test('json_schema requests get a reply valid for the schema', async () => {
    const schema = { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' }, minItems: 2 } }, required: ['tags'] };
    const body = (await (await post(fake, { response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } })).json()) as {
      choices: { message: { content: string } }[];
    };
    assert.deepEqual(JSON.parse(body.choices[0]!.message.content), { tags: ['example', 'example'] });
  });

  test('exampleFor produces values valid for assorted schemas', () => {
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    const schemas = [
      { type: 'string', format: 'email' },
      { type: 'string', minLength: 12, maxLength: 20 },
      { type: 'integer', minimum: 5, maximum: 9 },
      { type: 'number', exclusiveMinimum: 0 },
      { enum: ['red', 'green'] },
      { const: 42 },
      { type: ['null', 'boolean'] },
      { anyOf: [{ type: 'string', format: 'date' }, { type: 'number' }] },
      {
        type: 'object',
        properties: { id: { type: 'string', format: 'uuid' }, when: { type: 'string', format: 'date-time' }, items: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } } },
        required: ['id', 'when', 'items'],
        additionalProperties: false,
      },
    ];
    for (const schema of schemas) {
      const value = exampleFor(schema);
      assert.ok(ajv.validate(schema, value), `${JSON.stringify(value)} for ${JSON.stringify(schema)}: ${ajv.errorsText()}`);
    }
  });

  test('rpm: beyond the budget, 429 with Retry-After, counted', async () => {
    const limited = await startFakeOpenAI({ rpm: 120 }); // a bucket of 2, refilled at 2 per second
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const response = await post(limited, {});
        statuses.push(response.status);
        if (response.status === 429) {
          assert.ok(Number(response.headers.get('retry-after-ms')) > 0);
          assert.ok(Number(response.headers.get('retry-after')) >= 1);
        }
        await response.text();
      }
      assert.deepEqual(statuses, [200, 200, 429, 429]);
      assert.equal(limited.stats.rateLimited, 2);
    } finally {
      await limited.close();
    }
  });

  test('waitForClientClose sees a client that gives up on a stalled request', async () => {
    fake.script({ kind: 'stall' });
    const controller = new AbortController();
    const call = fetch(`${fake.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    const sent = await fake.waitForRequest(1);
    assert.equal(sent.status, undefined, 'no answer yet');
    controller.abort();
    await call;
    const closedAt = await fake.waitForClientClose(sent);
    assert.ok(closedAt >= sent.receivedAt);
    assert.equal(sent.finishedAt, undefined);
  });
});
