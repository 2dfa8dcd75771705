/**
 * The HTTP API, on Fastify: routes with JSON schemas (validated, and described at
 * `/openapi.json`), bearer auth when a token is set, and Server-Sent Events for a
 * run's events.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RunEvent } from '../engine';
import type { RunBackend } from './backend';
import { ApiError } from './errors';
import { parsePosition, type RunRecord } from './run-log';
import { sameSecret } from './signature';
import type { WebhookRouter } from './webhooks';
import { checkRunInputs, loadServedWorkflow } from './workflows';
import { runStateSchema, errorSchema, describeValidationError } from './api-schema';
import { traceOf } from './trace-export';
import { decodeCursor, encodeCursor, parseStatuses, RUN_STATUSES } from './run-list';
import type { TraceStore } from '../engine/trace';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

export interface AppOptions {
  root: string;
  backend: RunBackend;
  store: TraceStore;
  /** When set, every request but a webhook's must carry `Authorization: Bearer <token>`. */
  token?: string;
  webhooks?: WebhookRouter;
  version: string;
}

const HEARTBEAT_MS = 15_000;

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { backend, root, token } = options;
  // An unknown field is a mistake to report, not to drop silently (Fastify's default).
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024, ajv: { customOptions: { removeAdditional: false } } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Orchestrate', description: 'Run the workflows of a folder over HTTP (docs/serve.md).', version: options.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: token ? [{ bearer: [] }] : [],
    },
  });

  // Keep the raw bytes: a webhook's signature is over them, not over re-serialized JSON.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    parseJson(request, (body as Buffer).toString('utf8'), done);
  });

  app.addHook('onRequest', async (request, reply) => {
    if (!token || request.url.startsWith('/v1/hooks/')) return;
    const header = request.headers.authorization ?? '';
    const given = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
    if (!sameSecret(given, token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send(new ApiError(401, 'unauthorized', 'this server needs `Authorization: Bearer <token>` (the ORCHESTRATE_SERVE_TOKEN it was started with)').body());
    }
  });

  app.setErrorHandler((error: FastifyError | ApiError, _request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(error.body());
    if (error.validation) return reply.code(400).send(new ApiError(400, 'invalid-request', describeValidationError(error.validation, error.validationContext)).body());
    if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send(new ApiError(error.statusCode, 'invalid-request', requestErrorMessage(error)).body());
    return reply.code(500).send(new ApiError(500, 'internal', `the server failed: ${error.message}`).body());
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(new ApiError(404, 'not-found', `no route ${request.method} ${request.url.split('?')[0]}`).body()));

  const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 200 } } } as const;
  const find = async (id: string): Promise<RunRecord> => {
    const record = await backend.find(id);
    if (!record) throw new ApiError(404, 'run-not-found', `no run \`${id}\` on this server (list runs with GET /v1/runs)`);
    return record;
  };

  app.post<{ Body: { workflow: string; inputs?: Record<string, unknown> } }>(
    '/v1/runs',
    {
      schema: {
        summary: 'Start a run of a workflow under the served folder',
        body: {
          type: 'object',
          required: ['workflow'],
          additionalProperties: false,
          properties: { workflow: { type: 'string', description: 'The workflow file, relative to the served folder' }, inputs: { type: 'object', description: "The workflow's inputs by name" } },
        },
        response: { 201: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, status: { type: 'string' } } }, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const served = loadServedWorkflow(root, request.body.workflow);
      const inputs = checkRunInputs(served.workflow, request.body.inputs);
      const record = await backend.start({ served, inputs });
      return reply.code(201).header('location', `/v1/runs/${record.id}`).send({ id: record.id, status: record.state.status });
    },
  );

  app.get<{ Querystring: { limit?: number; cursor?: string; status?: string } }>(
    '/v1/runs',
    {
      schema: {
        summary: 'Every run of the deployment, newest first, a page at a time',
        description:
          'Embedded: the runs in the trace store (this server\'s, earlier ones\', `orchestrate run`\'s). With Redis: every run any server on it started, wherever it ran. Pass `nextCursor` back as `cursor` for the next page; it is absent on the last one.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            cursor: { type: 'string', maxLength: 1000, description: 'The `nextCursor` of the previous page' },
            status: { type: 'string', maxLength: 200, description: `Only runs in these statuses, separated by commas: ${RUN_STATUSES.join(', ')}` },
          },
        },
        response: {
          200: { type: 'object', required: ['runs'], properties: { runs: { type: 'array', items: runStateSchema }, nextCursor: { type: 'string', description: 'Where the next page starts; absent on the last page' } } },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => {
      const { limit = 100, cursor, status } = request.query;
      const page = await backend.list({ limit, after: cursor === undefined ? undefined : decodeCursor(cursor), statuses: parseStatuses(status) });
      return { runs: page.runs.map((record) => record.state), ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/runs/:id',
    { schema: { summary: "A run's state: status, outputs, per-step results", params: idParams, response: { 200: runStateSchema, '4xx': errorSchema } } },
    async (request) => (await find(request.params.id)).state,
  );

  app.post<{ Params: { id: string } }>(
    '/v1/runs/:id/cancel',
    { schema: { summary: 'Cancel a run', params: idParams, response: { 202: { type: 'object', properties: { id: { type: 'string' }, cancelling: { type: 'boolean' } } }, '4xx': errorSchema } } },
    async (request, reply) => {
      const record = await find(request.params.id);
      if (record.ended) throw new ApiError(409, 'run-ended', `run \`${record.id}\` already ${record.state.status}`);
      const cancelling = await backend.cancel(record.id);
      return reply.code(202).send({ id: record.id, cancelling });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/runs/:id/resume',
    {
      schema: {
        summary: 'Continue a failed, cancelled or interrupted run as `orchestrate resume` does: a new run whose finished steps are restored, not run again',
        params: idParams,
        response: { 201: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, status: { type: 'string' }, resumedFrom: { type: 'string' } } }, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const record = await find(request.params.id);
      const { status } = record.state;
      if (status !== 'failed' && status !== 'cancelled' && status !== 'interrupted') {
        throw new ApiError(409, status === 'succeeded' ? 'already-succeeded' : 'run-not-ended', `run \`${record.id}\` is ${status}; only a failed, cancelled or interrupted run can be resumed`);
      }
      const started = record.events.find((event): event is Extract<RunEvent, { type: 'run.started' }> => event.type === 'run.started');
      if (started?.startAt !== undefined) throw new ApiError(409, 'seeded-run', `run \`${record.id}\` started at step \`${started.startAt}\` from earlier results its events do not hold; start it again instead`);
      const served = loadServedWorkflow(root, record.workflow);
      const resumed = await backend.start({ served, inputs: started?.inputs ?? {}, resumeOf: record });
      return reply.code(201).header('location', `/v1/runs/${resumed.id}`).send({ id: resumed.id, status: resumed.state.status, resumedFrom: record.id });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/runs/:id/trace',
    { schema: { summary: "The run's trace, one JSON event a line (docs/trace-format.md)", params: idParams, produces: ['application/x-ndjson'] } },
    async (request, reply) => {
      const record = await find(request.params.id);
      return reply.type('application/x-ndjson').send(await traceOf(record, options.store));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { deltas?: string } }>(
    '/v1/runs/:id/events',
    {
      schema: {
        summary: "The run's events as Server-Sent Events: all of them from the start, or after `Last-Event-ID`, then live until the run ends",
        description:
          'Each event\'s SSE `id` is its number (1, 2, 3…). With `deltas=1` the streamed text of model calls comes too, as `step.delta` events with ids `N.K` (the K-th delta after event N); `Last-Event-ID` takes either form.',
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: { deltas: { type: 'string', enum: ['1', '0', 'true', 'false'], description: 'Include `step.delta` events' } } },
        headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,9}(\\.[0-9]{1,9})?$' } } },
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      const record = await find(request.params.id);
      const deltas = request.query.deltas === '1' || request.query.deltas === 'true';
      streamEvents(request, reply, record, deltas);
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (options.webhooks) options.webhooks.register(app);
  return app;
}

function streamEvents(request: FastifyRequest, reply: FastifyReply, record: RunRecord, deltas: boolean): void {
  const from = parsePosition(request.headers['last-event-id'] as string | undefined);
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  out.write(': orchestrate run events\n\n');
  const heartbeat = setInterval(() => out.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const finish = () => {
    clearInterval(heartbeat);
    unsubscribe();
    if (!out.writableEnded) out.end();
  };
  const send = (event: RunEvent, id: string) => {
    out.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    if (record.ended && id === String(record.events.length)) setImmediate(finish);
  };
  // `send` ends the stream a turn later, never while `stream` is still replaying.
  const unsubscribe = record.stream(from, deltas, send);
  request.raw.on('close', finish);
  if (record.ended && from.event >= record.events.length) finish();
}

function requestErrorMessage(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'send the request body as JSON (`Content-Type: application/json`)';
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'the request body is empty; send a JSON object';
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'the request body is larger than 4 MiB';
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) return 'the request body is not valid JSON';
  return error.message;
}
