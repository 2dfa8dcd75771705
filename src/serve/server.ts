/**
 * `orchestrate serve` as a library: the API over a folder's workflows, its triggers,
 * and runs either in this process (embedded) or on workers through Redis (queue).
 */
import { isIP } from 'node:net';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../engine';
import type { CachePolicy } from '../engine/cache';
import { TraceStore } from '../engine/trace';
import { buildApp } from './app';
import type { RunBackend } from './backend';
import { discoverTriggers } from './discover';
import { EmbeddedBackend } from './embedded';
import { Executor } from './execute';
import { QueueBackend } from './queue-backend';
import { Scheduler } from './scheduler';
import { WebhookRouter } from './webhooks';

export interface ServeOptions {
  root: string;
  host?: string;
  port?: number;
  /** Required when `host` is not a loopback address. */
  token?: string;
  /** Queue runs for workers instead of running them here. */
  redisUrl?: string;
  /** Where runs and the cache are kept; default `<root>/.orchestrate`. */
  traces?: string;
  env: Record<string, string | undefined>;
  mock?: boolean;
  mockDelayMs?: number;
  cache?: CachePolicy;
  /** `--allow-tools`: tools served runs may call without consent. */
  allowTools?: readonly string[];
  /** Time for schedules; the real clock by default. */
  clock?: Clock;
  version?: string;
  log: (message: string) => void;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  backend: RunBackend;
  scheduler: Scheduler;
  webhooks: WebhookRouter;
  /** Stops listening and scheduling; embedded runs are cancelled when `cancel`, else awaited. */
  close(options?: { cancel?: boolean }): Promise<void>;
}

export class ServeConfigError extends Error {}

export const DEFAULT_PORT = 8787;

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '::ffff:127.0.0.1';
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const root = path.resolve(options.root);
  if (!isLoopback(host) && !options.token) {
    throw new ServeConfigError(`refusing to listen on ${host} without a token: set ORCHESTRATE_SERVE_TOKEN (clients then send \`Authorization: Bearer <token>\`), or listen on 127.0.0.1`);
  }
  const store = new TraceStore(options.traces ? path.resolve(options.traces) : path.join(root, '.orchestrate'));
  const warn = (message: string) => options.log(`warning: ${message}`);
  let backend: RunBackend;
  if (options.redisUrl) {
    backend = await QueueBackend.connect({ redisUrl: options.redisUrl, warn });
  } else {
    const executor = new Executor({ root, store, env: options.env, mock: options.mock ?? false, mockDelayMs: options.mockDelayMs, cache: options.cache ?? 'reuse', allowTools: options.allowTools, warn });
    backend = new EmbeddedBackend(executor);
  }
  const triggered = discoverTriggers(root, warn);
  const webhooks = new WebhookRouter(root, backend, options.env, triggered, warn);
  const app = await buildApp({ root, backend, store, token: options.token, webhooks, version: options.version ?? 'dev' });
  const scheduler = new Scheduler(root, backend, options.clock ?? systemClock, {
    onSkipped: (served, schedule, why) => warn(`schedule \`${schedule.cron}\` of ${served.name} did not start a run: ${why}`),
  });
  try {
    await app.listen({ host, port: options.port ?? DEFAULT_PORT });
  } catch (error) {
    await backend.close({ cancel: true });
    throw error;
  }
  scheduler.start(triggered);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    backend,
    scheduler,
    webhooks,
    close(closeOptions = {}) {
      closing ??= (async () => {
        await scheduler.stop();
        await app.close();
        await backend.close(closeOptions);
      })();
      return closing;
    },
  };
}
