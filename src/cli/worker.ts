import { startWorker } from '../serve/worker';
import { parseArgs, UsageError } from './args';
import type { Io } from './main';
import { integerOption, SHARED_HELP, SHARED_OPTIONS, sharedSettings } from './serve-options';

const USAGE = `Usage: orchestrate worker [DIR] --redis URL [options]

Executes runs that \`orchestrate serve --redis URL\` queued, from the workflows under DIR
(the same files the server serves). Start as many as you like, on any machine that
reaches the Redis. A run whose worker dies goes to another after the lock expires, and
continues from its finished steps (no model call is repeated for them).

Options:
  --redis URL              the Redis the server queues on (also ORCHESTRATE_REDIS_URL)
  --concurrency N          runs executed at once, default 8
  --lock-ms MS             how long a run stays with a worker that stopped answering
                           before another takes it, default 30000
${SHARED_HELP}

Provider limits (rpm, tpm in orchestrate.config.json) are shared by all workers.
SIGTERM or Ctrl-C drains: no new runs are taken, the ones in hand finish, then it exits.
`;

export const workerCommand = {
  summary: 'execute runs queued on Redis by `orchestrate serve --redis`',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, { ...SHARED_OPTIONS, concurrency: { type: 'string' }, 'lock-ms': { type: 'string' } });
    const settings = sharedSettings(positionals, options, io);
    if (!settings.redisUrl) throw new UsageError('a worker needs --redis URL (or ORCHESTRATE_REDIS_URL)');
    const worker = await startWorker({
      ...settings,
      redisUrl: settings.redisUrl,
      concurrency: integerOption(options.concurrency, '--concurrency', 1, 1000),
      lockMs: integerOption(options['lock-ms'], '--lock-ms', 100, 3_600_000),
      env: io.env,
      log: (message) => io.err(`${message}\n`),
    });
    await new Promise<void>((resolve) => {
      const drain = () => {
        process.removeListener('SIGINT', drain);
        process.removeListener('SIGTERM', drain);
        io.err('draining: finishing the runs in hand, taking no more…\n');
        void worker.drain().then(resolve, resolve);
      };
      process.on('SIGINT', drain);
      process.on('SIGTERM', drain);
      // Said once a signal drains it: whoever waits for this line may stop the worker at once.
      io.out(`worker ready (pid ${process.pid})\n`);
    });
    io.err(`drained: ${worker.finished} run${worker.finished === 1 ? '' : 's'} finished here\n`);
    return 0;
  },
};
