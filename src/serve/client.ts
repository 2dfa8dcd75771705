/**
 * A small client of the `orchestrate serve` API (docs/serve.md), for the editor's
 * shared history: list runs, read one's state and trace, follow its events, cancel
 * and resume it. Node's own `fetch`; Server-Sent Events parsed by `eventsource-parser`.
 * No `vscode` here, so it is tested against a real server started in-process.
 *
 * What a server sends is read defensively: unknown fields are ignored, a run without
 * an id, workflow or status is skipped, and every failure is a {@link ServeClientError}
 * whose message a person can act on ("cannot reach http://…: connection refused").
 * The bearer token never appears in a message.
 */
import { createParser } from 'eventsource-parser';
import type { RunEvent } from '../engine/types';
import { parseTrace, type TraceContents } from '../engine/trace/read';
import type { ServedRunState } from './run-state';

export type ServeClientErrorCode = 'unreachable' | 'timeout' | 'unauthorized' | 'bad-response' | 'bad-url' | string;

export class ServeClientError extends Error {
  constructor(
    /** `unreachable`, `timeout`, `unauthorized`, `bad-response`, `bad-url`, or the server's own error code (`run-not-found`, …). */
    readonly code: ServeClientErrorCode,
    message: string,
    /** The HTTP status, when the server answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ServeClientOptions {
  token?: string;
  /** How long a request (not an event stream) may take; 10 s by default. */
  timeoutMs?: number;
}

export interface RunPage {
  /** Newest first, as the server lists them. */
  runs: ServedRunState[];
  /** Pass as `cursor` for the next page; absent on the last one (or from a server that does not page). */
  nextCursor?: string;
}

export interface ListOptions {
  limit?: number;
  cursor?: string;
  status?: string;
  signal?: AbortSignal;
}

export interface FollowOptions {
  /** Events numbered up to this one were seen already (the SSE `Last-Event-ID`). */
  after?: number;
  signal?: AbortSignal;
  onEvent: (event: RunEvent, number: number) => void;
}

const RUN_STATUSES = new Set(['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled', 'interrupted']);

/** `http(s)://host:port[/prefix]` with no query, fragment or credentials; the text is trimmed and a trailing `/` dropped. */
export function parseServerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ServeClientError('bad-url', `\`${text.trim()}\` is not a URL; give the address \`orchestrate serve\` printed, like http://127.0.0.1:8787`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ServeClientError('bad-url', `\`${url.protocol}\` is not http or https; give the address \`orchestrate serve\` printed, like http://127.0.0.1:8787`);
  if (url.username || url.password) throw new ServeClientError('bad-url', 'put no user name or password in the server address; a token is asked for separately and kept in the secret storage');
  if (url.search || url.hash) throw new ServeClientError('bad-url', 'the server address takes no `?query` or `#fragment`');
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** The address as the client prints it: origin and path prefix, no trailing `/`. */
export function serverAddress(url: URL): string {
  return `${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
}

export class ServeClient {
  readonly address: string;
  private readonly timeoutMs: number;

  constructor(
    url: string | URL,
    private readonly options: ServeClientOptions = {},
  ) {
    this.address = serverAddress(typeof url === 'string' ? parseServerUrl(url) : url);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The URL of a run (also its name in the editor: a run's location, like a trace file's path). */
  runUrl(id: string): string {
    return `${this.address}/v1/runs/${encodeURIComponent(id)}`;
  }

  async listRuns(options: ListOptions = {}): Promise<RunPage> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    if (options.status !== undefined) query.set('status', options.status);
    const body = await this.json('GET', `/v1/runs${query.size > 0 ? `?${query}` : ''}`, options.signal);
    const record = isRecord(body) ? body : {};
    if (!Array.isArray(record.runs)) throw new ServeClientError('bad-response', `${this.address} answered GET /v1/runs without a \`runs\` list; is it an orchestrate server?`);
    const runs = record.runs.filter(isRunState);
    const next = typeof record.nextCursor === 'string' ? record.nextCursor : typeof record.cursor === 'string' ? record.cursor : undefined;
    return next !== undefined && next !== '' ? { runs, nextCursor: next } : { runs };
  }

  async run(id: string, signal?: AbortSignal): Promise<ServedRunState> {
    const body = await this.json('GET', `/v1/runs/${encodeURIComponent(id)}`, signal);
    if (!isRunState(body)) throw new ServeClientError('bad-response', `${this.address} answered with something that is not a run's state for run \`${id}\``);
    return body;
  }

  /** The run's trace, read like a trace file (the same format wherever it is stored). */
  async trace(id: string, signal?: AbortSignal): Promise<TraceContents> {
    const response = await this.request('GET', `/v1/runs/${encodeURIComponent(id)}/trace`, signal);
    const text = await this.bodyText(response);
    return parseTrace(text, this.runUrl(id));
  }

  /** Asks the server to stop a run; false when it had already ended. */
  async cancel(id: string): Promise<boolean> {
    try {
      await this.json('POST', `/v1/runs/${encodeURIComponent(id)}/cancel`);
      return true;
    } catch (error) {
      if (error instanceof ServeClientError && error.code === 'run-ended') return false;
      throw error;
    }
  }

  /** Continues a failed, cancelled or interrupted run on the server; the new run's id. */
  async resume(id: string): Promise<{ id: string }> {
    const body = await this.json('POST', `/v1/runs/${encodeURIComponent(id)}/resume`);
    if (!isRecord(body) || typeof body.id !== 'string') throw new ServeClientError('bad-response', `${this.address} did not say which run continues \`${id}\``);
    return { id: body.id };
  }

  /**
   * Follows a run's events (after `after`) until its stream ends, which the server
   * does when the run ends. Resolves with the number of the last event seen; rejects
   * when the server cannot be reached. An abort resolves quietly.
   */
  async follow(id: string, options: FollowOptions): Promise<number> {
    let last = options.after ?? 0;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (last > 0) headers['last-event-id'] = String(last);
    let response: Response;
    try {
      response = await this.request('GET', `/v1/runs/${encodeURIComponent(id)}/events`, options.signal, headers, false);
    } catch (error) {
      if (options.signal?.aborted) return last;
      throw error;
    }
    const parser = createParser({
      onEvent: (message) => {
        const number = Number(message.id);
        if (!Number.isSafeInteger(number) || number <= last) return;
        let event: unknown;
        try {
          event = JSON.parse(message.data);
        } catch {
          return;
        }
        if (!isRecord(event) || typeof event.type !== 'string') return;
        last = number;
        options.onEvent(event as unknown as RunEvent, number);
      },
    });
    const decoder = new TextDecoder();
    try {
      const reader = response.body?.getReader();
      for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) parser.feed(decoder.decode(chunk.value, { stream: true }));
    } catch (error) {
      if (!options.signal?.aborted) throw this.failure(error);
    }
    return last;
  }

  private async json(method: string, route: string, signal?: AbortSignal): Promise<unknown> {
    const response = await this.request(method, route, signal);
    const text = await this.bodyText(response);
    try {
      return text === '' ? {} : (JSON.parse(text) as unknown);
    } catch {
      throw new ServeClientError('bad-response', `${this.address} answered ${method} ${route.split('?')[0]} with something that is not JSON; is it an orchestrate server?`, response.status);
    }
  }

  private async bodyText(response: Response): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** Sends a request; an answer that is not 2xx is a {@link ServeClientError} with the server's code and message. */
  private async request(method: string, route: string, signal: AbortSignal | undefined, headers: Record<string, string> = {}, timed = true): Promise<Response> {
    const all: Record<string, string> = { ...headers };
    if (this.options.token) all.authorization = `Bearer ${this.options.token}`;
    const signals = [signal, timed ? AbortSignal.timeout(this.timeoutMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
    let response: Response;
    try {
      response = await fetch(`${this.address}${route}`, { method, headers: all, signal: signals.length > 0 ? AbortSignal.any(signals) : undefined, redirect: 'error' });
    } catch (error) {
      throw this.failure(error);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const error = isRecord(body) && isRecord(body.error) ? body.error : {};
    const code = typeof error.code === 'string' ? error.code : undefined;
    const message = typeof error.message === 'string' ? error.message : `${method} ${route.split('?')[0]} answered ${response.status} ${response.statusText}`.trim();
    if (response.status === 401) {
      throw new ServeClientError('unauthorized', `${this.address} ${this.options.token ? 'refused the token' : 'needs a token'} (Orchestrate: Connect to Server… asks for it)`, 401);
    }
    throw new ServeClientError(code ?? 'bad-response', `${this.address}: ${message}`, response.status);
  }

  private failure(error: unknown): ServeClientError {
    if (error instanceof ServeClientError) return error;
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError') return new ServeClientError('timeout', `cannot reach ${this.address}: no answer within ${Math.round(this.timeoutMs / 1000)} s`);
    if (name === 'AbortError') return new ServeClientError('aborted', `the request to ${this.address} was stopped`);
    return new ServeClientError('unreachable', `cannot reach ${this.address}: ${networkReason(error)}`);
  }
}

/** Node's fetch says only "fetch failed"; the reason is in its cause. */
function networkReason(error: unknown): string {
  let cause: unknown = error;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    switch (code) {
      case 'ECONNREFUSED':
        return 'connection refused';
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return 'no such host';
      case 'ECONNRESET':
      case 'UND_ERR_SOCKET':
        return 'the connection was reset';
      case 'ETIMEDOUT':
      case 'UND_ERR_CONNECT_TIMEOUT':
        return 'the connection timed out';
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return 'the host is unreachable';
      case 'ERR_TLS_CERT_ALTNAME_INVALID':
      case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      case 'SELF_SIGNED_CERT_IN_CHAIN':
        return 'its TLS certificate is not trusted';
    }
    if (cause.message.includes('redirect')) return 'it answered with a redirect';
    cause = cause.cause;
  }
  return error instanceof Error && error.message !== 'fetch failed' ? error.message : 'the request failed';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRunState(value: unknown): value is ServedRunState {
  if (!isRecord(value)) return false;
  if (typeof value.id !== 'string' || value.id === '' || typeof value.workflow !== 'string' || typeof value.status !== 'string' || !RUN_STATUSES.has(value.status)) return false;
  if (value.steps !== undefined && !isRecord(value.steps)) return false;
  for (const field of ['startedAt', 'durationMs', 'costUsd'] as const) {
    if (value[field] !== undefined && (typeof value[field] !== 'number' || !Number.isFinite(value[field]))) return false;
  }
  return true;
}
