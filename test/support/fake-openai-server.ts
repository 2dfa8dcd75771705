/**
 * A fake OpenAI server for tests and benchmarks: a real HTTP server on 127.0.0.1 (a
 * random port) that speaks the chat-completions protocol — streaming (SSE, with a
 * final usage chunk when `stream_options.include_usage`) and not — and fails on
 * request in every way a real one does.
 *
 * ```ts
 * const fake = await startFakeOpenAI({ apiKey: 'sk-test' });
 * fake.script({ kind: 'status', status: 429, retryAfter: 1 }); // the next request gets a 429, the one after is normal
 * const provider = new OpenAIProvider({ id: 'openai', baseURL: fake.url, apiKey: 'sk-test' });
 * ...
 * assert.equal(fake.calls, 2);
 * await fake.close();
 * ```
 *
 * Replies: a scripted `reply`, else `options.reply`, else for `json_schema` requests a
 * JSON value valid for the schema, else `You said: <last user message>`. Token counts
 * are characters / 4, rounded up. `max_tokens` (or `max_completion_tokens`) truncates
 * the reply and sets `finish_reason: 'length'`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EventEmitter } from 'node:events';

/** What the next request gets. Scripted faults are used one per chat request, in arrival order. */
export type FakeFault =
  /** A normal answer (a placeholder in a script: `script({ kind: 'ok' }, { kind: 'status', status: 500 })`). */
  | { kind: 'ok' }
  /**
   * An error status with an OpenAI-style body `{ error: { message, type, code, param } }`.
   * `retryAfter` (seconds) and `retryAfterMs` set the `Retry-After` / `retry-after-ms` headers.
   */
  | {
      kind: 'status';
      status: number;
      message?: string;
      type?: string;
      code?: string;
      param?: string;
      retryAfter?: number;
      retryAfterMs?: number;
      headers?: Record<string, string>;
    }
  /** Resets the connection: before any response when `afterChunks` is absent, else after that many content chunks. */
  | { kind: 'reset'; afterChunks?: number }
  /** Stops answering (the socket stays open): before the headers when `afterChunks` is absent, else after that many chunks. */
  | { kind: 'stall'; afterChunks?: number }
  /** A structured reply that is not valid JSON. */
  | { kind: 'malformed-json' }
  /** This exact reply text. */
  | { kind: 'reply'; content: string; finishReason?: string }
  /** A normal reply, one chunk every `chunkDelayMs`. */
  | { kind: 'slow'; chunkDelayMs: number }
  /** An `error` object inside the stream after `afterChunks` chunks (as OpenAI sends when it fails midway). */
  | { kind: 'stream-error'; afterChunks?: number; message?: string }
  /**
   * A reply asking for tool calls (`finish_reason: tool_calls`). Streamed, each call's
   * id and name come in its first chunk and its arguments whole, or with `pieces`
   * split into that many chunks (as OpenAI streams them); a request without `stream`
   * gets them in `message.tool_calls`.
   */
  | { kind: 'tool-calls'; calls: FakeToolCall[]; content?: string; pieces?: number };

/** A function call a scripted reply asks for; `arguments` is sent as written (it may be broken JSON). */
export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: string;
}

export interface FakeOpenAIOptions {
  /** When set, requests must carry it (`Authorization: Bearer …` or `api-key`); else 401, echoing the key sent. */
  apiKey?: string;
  /** When set, other models get 404 `model_not_found`. */
  models?: string[];
  /** The reply text, or a function of the request body. */
  reply?: string | ((body: ChatRequestBody) => string);
  /** Characters per content chunk; default word by word. */
  chunkChars?: number;
  /** Delay before each content chunk (a slow token rate). Default 0. */
  chunkDelayMs?: number;
  /** Enforce this many requests per minute (a bucket holding one second's worth); beyond it, 429 with `Retry-After`. */
  rpm?: number;
  /**
   * The time the `rpm` bucket reads, in ms. Default `performance.now()`; a test gives the
   * simulated clock its client uses, so both sides of a rate limit agree on the time.
   */
  clock?: { now(): number };
  /** Reject `response_format: { type: 'json_schema' }` with a 400, as servers without structured outputs do. */
  rejectJsonSchema?: boolean;
  /** Reject `response_format: { type: 'json_object' }` with a 400 too. */
  rejectJsonObject?: boolean;
  /** Body parameters answered with OpenAI's "Unsupported parameter" 400 (e.g. `['max_tokens']`, as reasoning models do). */
  unsupportedParams?: string[];
  /** Prompt tokens beyond which a 400 `context_length_exceeded` is returned. */
  contextWindow?: number;
}

/** The body of a chat-completions request, as the fake reads it. */
export interface ChatRequestBody {
  model: string;
  messages: { role: string; content: string; tool_call_id?: string; tool_calls?: { id: string; function: { name: string; arguments: string } }[] }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type: string; json_schema?: { name: string; schema?: Record<string, unknown>; strict?: boolean } };
  max_tokens?: number;
  max_completion_tokens?: number;
  [key: string]: unknown;
}

export interface RecordedRequest {
  /** 0-based, in arrival order, over all paths. */
  index: number;
  method: string;
  /** The path without the query string. */
  path: string;
  /** The path with the query string (e.g. Azure's `?api-version=…`). */
  url: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (`undefined` for GET). */
  body: ChatRequestBody | undefined;
  /** The fault this request got (`ok` when none was scripted). */
  fault: FakeFault;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
  /** The HTTP status sent, once sent. */
  status?: number;
  /** Content chunks sent so far. */
  chunksSent: number;
  /** When the response was completely sent. */
  finishedAt?: number;
  /** When the client closed the connection before the response was complete (a cancel, a timeout). */
  clientClosedAt?: number;
}

export interface FakeOpenAI {
  /** The base URL to give a client, ending in `/v1`. */
  readonly url: string;
  /** Every request, in arrival order (a live array). */
  readonly requests: RecordedRequest[];
  /** Chat-completion requests received. */
  readonly calls: number;
  /** `rateLimited`: 429s sent because of `rpm` (scripted ones not included). */
  readonly stats: { rateLimited: number };
  /** Queues faults for the next chat requests, one each. */
  script(...faults: FakeFault[]): void;
  /** Forgets requests, stats and unused scripted faults. */
  reset(): void;
  /** Resolves with the `count`-th chat request (1-based) once it has arrived. */
  waitForRequest(count: number, timeoutMs?: number): Promise<RecordedRequest>;
  /** Resolves with `clientClosedAt` once the client has dropped `request`'s connection. */
  waitForClientClose(request: RecordedRequest, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

/** Starts a fake server on 127.0.0.1 at a random free port. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  const queue: FakeFault[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const stats = { rateLimited: 0 };
  const sockets = new Set<Socket>();
  let calls = 0;
  let closed = false;
  const now = (): number => (options.clock ? options.clock.now() : performance.now());
  const bucket = options.rpm ? new Bucket(options.rpm, now()) : undefined;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) sendError(res, 500, { message: `fake server bug: ${String(error)}` });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 30_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    const isChat = req.method === 'POST' && /\/chat\/completions$/.test(path);
    let body: ChatRequestBody | undefined;
    try {
      body = text ? (JSON.parse(text) as ChatRequestBody) : undefined;
    } catch {
      // recorded as undefined; answered below
    }
    const record: RecordedRequest = {
      index: requests.length,
      method: req.method ?? 'GET',
      path,
      url: req.url ?? '/',
      headers: req.headers,
      body,
      fault: { kind: 'ok' },
      receivedAt: performance.now(),
      chunksSent: 0,
    };
    requests.push(record);
    let destroyedByUs = false;
    res.on('close', () => {
      if (!res.writableFinished && !destroyedByUs) {
        record.clientClosedAt = performance.now();
        events.emit('client-close', record);
      }
    });
    const status = (code: number): void => {
      record.status = code;
    };
    res.on('finish', () => {
      record.finishedAt = performance.now();
    });

    if (!isChat) {
      events.emit('request', record);
      if (req.method === 'GET' && path.endsWith('/models')) {
        status(200);
        sendJson(res, 200, { object: 'list', data: (options.models ?? ['gpt-4o-mini']).map((id) => ({ id, object: 'model', owned_by: 'fake' })) });
      } else {
        status(404);
        sendError(res, 404, { message: `Unknown path ${path}`, type: 'invalid_request_error' });
      }
      return;
    }

    calls++;
    record.fault = queue.shift() ?? { kind: 'ok' };
    events.emit('request', record);
    const fault = record.fault;

    if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      status(400);
      return sendError(res, 400, { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error' });
    }

    if (bucket) {
      const waitMs = bucket.take(now());
      if (waitMs > 0) {
        stats.rateLimited++;
        status(429);
        return sendError(
          res,
          429,
          { message: `Rate limit reached for requests: limit ${options.rpm} per minute.`, type: 'requests', code: 'rate_limit_exceeded' },
          { 'retry-after-ms': String(Math.ceil(waitMs)), 'retry-after': String(Math.ceil(waitMs / 1000)) },
        );
      }
    }

    if (fault.kind === 'status') {
      status(fault.status);
      const headers: Record<string, string> = { ...fault.headers };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
      return sendError(res, fault.status, { ...defaultError(fault.status, body.model), ...stripUndefined({ message: fault.message, type: fault.type, code: fault.code, param: fault.param }) }, headers);
    }

    if (options.apiKey !== undefined) {
      const auth = req.headers.authorization?.replace(/^Bearer\s+/i, '') ?? (req.headers['api-key'] as string | undefined);
      if (auth !== options.apiKey) {
        status(401);
        // Echoes the key in full, as careless servers do, so tests can prove it is redacted.
        return sendError(res, 401, { message: `Incorrect API key provided: ${auth ?? '(none)'}.`, type: 'invalid_request_error', code: 'invalid_api_key' });
      }
    }
    if (options.models && !options.models.includes(body.model)) {
      status(404);
      return sendError(res, 404, defaultError(404, body.model));
    }
    for (const param of options.unsupportedParams ?? []) {
      if (body[param] !== undefined) {
        status(400);
        const instead = param === 'max_tokens' ? " Use 'max_completion_tokens' instead." : '';
        return sendError(res, 400, { message: `Unsupported parameter: '${param}' is not supported with this model.${instead}`, type: 'invalid_request_error', param, code: 'unsupported_parameter' });
      }
    }
    const format = body.response_format?.type;
    if ((format === 'json_schema' && options.rejectJsonSchema) || (format === 'json_object' && options.rejectJsonObject)) {
      status(400);
      return sendError(res, 400, { message: `Invalid parameter: 'response_format' of type '${format}' is not supported with this model.`, type: 'invalid_request_error', param: 'response_format' });
    }
    const promptTokens = tokens(body.messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join(''));
    if (options.contextWindow !== undefined && promptTokens > options.contextWindow) {
      status(400);
      return sendError(res, 400, defaultError(400, body.model, promptTokens, options.contextWindow));
    }

    // A fault that strikes before any response.
    if ((fault.kind === 'reset' || fault.kind === 'stall') && fault.afterChunks === undefined) {
      if (fault.kind === 'reset') {
        destroyedByUs = true;
        resetSocket(req.socket);
      }
      return; // a stall: never answer
    }

    let content: string;
    let finishReason = 'stop';
    const toolCalls = fault.kind === 'tool-calls' ? fault.calls.map((call, i) => ({ id: call.id ?? `call_fake${record.index}_${i + 1}`, name: call.name, arguments: call.arguments })) : [];
    if (fault.kind === 'tool-calls') {
      content = fault.content ?? '';
      finishReason = 'tool_calls';
    } else if (fault.kind === 'reply') {
      content = fault.content;
      finishReason = fault.finishReason ?? 'stop';
    } else if (fault.kind === 'malformed-json') {
      content = '{"answer": "this JSON never ends';
    } else if (typeof options.reply === 'function') {
      content = options.reply(body);
    } else if (typeof options.reply === 'string') {
      content = options.reply;
    } else if (format === 'json_schema') {
      content = JSON.stringify(exampleFor(body.response_format?.json_schema?.schema ?? {}));
    } else if (format === 'json_object') {
      content = '{}';
    } else {
      const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
      content = `You said: ${lastUser?.content ?? ''}`;
    }
    const limit = body.max_completion_tokens ?? body.max_tokens;
    if (typeof limit === 'number' && tokens(content) > limit) {
      content = content.slice(0, limit * 4);
      finishReason = 'length';
    }
    const usage = { prompt_tokens: promptTokens, completion_tokens: tokens(content), total_tokens: promptTokens + tokens(content) };
    const id = `chatcmpl-fake${record.index}`;
    const created = Math.floor(Date.now() / 1000);

    if (!body.stream) {
      status(200);
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: toolCalls.length > 0 && content === '' ? null : content,
              refusal: null,
              ...(toolCalls.length > 0 ? { tool_calls: toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) } : {}),
            },
            finish_reason: finishReason,
            logprobs: null,
          },
        ],
        usage,
      });
    }

    status(200);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': id });
    const send = (data: unknown): Promise<void> =>
      new Promise((resolve) => {
        if (res.destroyed) return resolve();
        res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`, () => resolve());
      });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): unknown => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: body!.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });

    const delay = fault.kind === 'slow' ? fault.chunkDelayMs : (options.chunkDelayMs ?? 0);
    const breakAfter = fault.kind === 'reset' || fault.kind === 'stall' || fault.kind === 'stream-error' ? (fault.afterChunks ?? 0) : Infinity;
    await send(chunk({ role: 'assistant', content: '' }));
    for (const piece of split(content, options.chunkChars)) {
      if (record.chunksSent >= breakAfter) break;
      if (delay > 0) await sleep(delay);
      if (res.destroyed || closed) return;
      await send(chunk({ content: piece }));
      record.chunksSent++;
    }
    const pieces = fault.kind === 'tool-calls' ? Math.max(1, fault.pieces ?? 1) : 1;
    for (const [index, call] of toolCalls.entries()) {
      if (res.destroyed || closed) return;
      const size = Math.ceil(call.arguments.length / pieces) || 1;
      const parts = pieces === 1 ? [call.arguments] : Array.from({ length: pieces }, (_, i) => call.arguments.slice(i * size, (i + 1) * size));
      await send(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: parts[0] } }] }));
      for (const part of parts.slice(1)) {
        if (delay > 0) await sleep(delay);
        await send(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
      }
    }
    // The fault strikes after `afterChunks` chunks, or at the end of a shorter reply.
    if (breakAfter !== Infinity) {
      if (fault.kind === 'reset') {
        await sleep(5); // let the chunks reach the client before the reset
        destroyedByUs = true;
        resetSocket(req.socket);
        return;
      }
      if (fault.kind === 'stall') return; // headers and some chunks sent; nothing more, ever
      if (fault.kind === 'stream-error') {
        await send({ error: { message: fault.message ?? 'The server had an error while processing your request.', type: 'server_error', code: null, param: null } });
        res.end();
        return;
      }
    }
    await send(chunk({}, finishReason));
    if (body.stream_options?.include_usage) {
      await send({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage });
    }
    await send('[DONE]');
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get calls() {
      return calls;
    },
    stats,
    script(...faults) {
      queue.push(...faults);
    },
    reset() {
      requests.length = 0;
      queue.length = 0;
      stats.rateLimited = 0;
      calls = 0;
    },
    waitForRequest(count, timeoutMs = 5_000) {
      const chats = (): RecordedRequest[] => requests.filter((r) => r.path.endsWith('/chat/completions') && r.method === 'POST');
      return waitFor(events, 'request', () => chats()[count - 1], timeoutMs, `chat request #${count}`);
    },
    waitForClientClose(request, timeoutMs = 5_000) {
      return waitFor(events, 'client-close', () => request.clientClosedAt, timeoutMs, `the client to close request #${request.index}`);
    },
    async close() {
      closed = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ─── Helpers ─────────────────────────────────────────────────────────────────

/** The server's requests-per-minute bucket: one second's worth, refilled continuously. */
class Bucket {
  private tokens: number;
  private readonly capacity: number;
  constructor(
    private readonly rpm: number,
    private last: number,
  ) {
    this.capacity = Math.max(1, rpm / 60);
    this.tokens = this.capacity;
  }
  /** Takes a token and returns 0, or returns how long until one is available. */
  take(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.rpm) / 60_000);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return ((1 - this.tokens) * 60_000) / this.rpm;
  }
}

function defaultError(status: number, model: string, promptTokens?: number, window?: number): Record<string, unknown> {
  switch (status) {
    case 400:
      return promptTokens !== undefined
        ? {
            message: `This model's maximum context length is ${window} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
            type: 'invalid_request_error',
            param: 'messages',
            code: 'context_length_exceeded',
          }
        : { message: 'Bad request.', type: 'invalid_request_error' };
    case 401:
      return { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' };
    case 404:
      return { message: `The model \`${model}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', code: 'model_not_found' };
    case 429:
      return { message: 'Rate limit reached for requests.', type: 'requests', code: 'rate_limit_exceeded' };
    default:
      return status >= 500
        ? { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error' }
        : { message: `Error ${status}.`, type: 'invalid_request_error' };
  }
}

function sendError(res: ServerResponse, status: number, error: Record<string, unknown>, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message: '', type: null, param: null, code: null, ...error } }, headers);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** A TCP reset where the platform supports it (the client sees ECONNRESET), else a plain close. */
function resetSocket(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Word by word (keeping the spaces), or fixed-size pieces. */
function split(text: string, size: number | undefined): string[] {
  if (!text) return [];
  if (size && size > 0) {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
    return out;
  }
  return text.match(/\s*\S+\s*/g) ?? [text];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function stripUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

function waitFor<T>(events: EventEmitter, event: string, check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = check();
    if (done !== undefined) return resolve(done);
    const timer = setTimeout(() => {
      events.off(event, listener);
      reject(new Error(`fake OpenAI server: timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const listener = (): void => {
      const value = check();
      if (value === undefined) return;
      clearTimeout(timer);
      events.off(event, listener);
      resolve(value);
    };
    events.on(event, listener);
  });
}

/**
 * A JSON value valid for common JSON Schemas: `const`, `enum`, `default`, `examples`,
 * `anyOf`/`oneOf` (the first branch), objects (every property), arrays (`minItems`,
 * at least one item), strings (formats, lengths), numbers (bounds). `$ref` is not followed.
 */
export function exampleFor(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 10) return null;
  const s = schema as Record<string, unknown>;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = s[key];
    if (Array.isArray(branches) && branches.length > 0) return exampleFor(branches[0], depth + 1);
  }
  if (Array.isArray(s.allOf)) return exampleFor(Object.assign({}, ...s.allOf.filter((b) => typeof b === 'object')), depth + 1);
  let type = Array.isArray(s.type) ? ((s.type as string[]).find((t) => t !== 'null') ?? 'null') : (s.type as string | undefined);
  if (!type) type = s.properties ? 'object' : s.items ? 'array' : 'string';
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name, exampleFor(sub, depth + 1)]));
    }
    case 'array': {
      const count = Math.max(1, typeof s.minItems === 'number' ? s.minItems : 1);
      const max = typeof s.maxItems === 'number' ? s.maxItems : Infinity;
      return Array.from({ length: Math.min(count, max) }, () => exampleFor(s.items ?? {}, depth + 1));
    }
    case 'integer':
    case 'number': {
      let value = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : 1;
      if (typeof s.maximum === 'number') value = Math.min(value, s.maximum);
      return type === 'integer' ? Math.ceil(value) : value;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      const formats: Record<string, string> = {
        'date-time': '2024-01-01T00:00:00Z',
        date: '2024-01-01',
        time: '00:00:00Z',
        email: 'someone@example.com',
        uri: 'https://example.com/',
        uuid: '00000000-0000-4000-8000-000000000000',
      };
      let text = formats[s.format as string] ?? 'example';
      if (typeof s.minLength === 'number' && text.length < s.minLength) text = text.padEnd(s.minLength, 'x');
      if (typeof s.maxLength === 'number') text = text.slice(0, s.maxLength);
      return text;
    }
  }
}
