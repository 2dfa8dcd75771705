import { startServer, ServeConfigError, DEFAULT_PORT } from '../serve/server';
import { parseArgs } from './args';
import type { Io } from './main';
import { integerOption, SHARED_HELP, SHARED_OPTIONS, sharedSettings } from './serve-options';

const USAGE = `Usage: orchestrate serve [DIR] [options]

Serves the workflows under DIR (default: the current folder) over HTTP: start runs,
follow their events, read their state and traces (docs/serve.md). Workflows' \`on:\`
webhooks and schedules are live while it runs. Runs execute in this process, or, with
--redis, on \`orchestrate worker\` processes sharing that Redis.

Options:
  --port N                 the port, default ${DEFAULT_PORT}; 0 picks a free one
  --host H                 the address to listen on, default 127.0.0.1; any other needs
                           ORCHESTRATE_SERVE_TOKEN, which every request must then carry
                           as \`Authorization: Bearer <token>\`
  --redis URL              queue runs on Redis for workers (also ORCHESTRATE_REDIS_URL)
${SHARED_HELP}

Prints \`listening on http://HOST:PORT\` when ready. Ctrl-C or SIGTERM stops it: it stops
taking requests and waits for its runs (embedded) to finish; a second signal cancels them.
`;

export const serveCommand = {
  summary: 'serve the workflows of a folder over HTTP, with webhooks and schedules',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, { ...SHARED_OPTIONS, port: { type: 'string' }, host: { type: 'string' } });
    const settings = sharedSettings(positionals, options, io);
    const port = integerOption(options.port, '--port', 0, 65535);
    let server;
    try {
      server = await startServer({
        ...settings,
        host: options.host as string | undefined,
        port,
        token: io.env.ORCHESTRATE_SERVE_TOKEN || undefined,
        env: io.env,
        version: VERSION,
        log: (message) => io.err(`${message}\n`),
      });
    } catch (error) {
      if (!(error instanceof ServeConfigError)) throw error;
      io.err(`orchestrate serve: ${error.message}\n`);
      return 2;
    }
    io.out(`listening on ${server.url}\n`);
    io.err(`${server.backend.mode === 'queue' ? 'runs are queued on Redis for `orchestrate worker`' : 'runs execute in this process'}; API description at ${server.url}/openapi.json\n`);
    for (const hook of server.webhooks.paths) io.err(`webhook: POST ${server.url}/v1/hooks${hook}\n`);
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = () => {
        const cancel = stopping;
        stopping = true;
        io.err(cancel ? 'cancelling the runs in flight…\n' : 'stopping: waiting for the runs in flight (signal again to cancel them)…\n');
        if (!cancel) void server.close().then(resolve, resolve);
        else void server.backend.close({ cancel: true });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};

declare const ORCHESTRATE_VERSION: string | undefined;
const VERSION = typeof ORCHESTRATE_VERSION === 'string' ? ORCHESTRATE_VERSION : 'dev';
