/**
 * `orchestrate debug-adapter`: the workflow debugger over the Debug Adapter Protocol
 * on stdin/stdout, for any DAP client. Runs go the way `orchestrate run` runs them:
 * the same providers (the mock when asked or when no key is set), the same cache and
 * the same trace store. Stdout carries the protocol only; notes go to stderr.
 */
import { once } from 'node:events';
import * as path from 'node:path';
import { CacheStore, cachingResolver, type CachePolicy } from '../engine/cache';
import { recordedRun } from '../engine/trace';
import { allowToolsProblem, headlessToolSession } from '../engine/run/headless-tools';
import { foldedRecording, type DebugHost } from '../debug/host';
import { WorkflowDebugSession } from '../debug/session';
import { parseArgs } from './args';
import { callLogResolver } from './call-log';
import { describeFsError } from './errors';
import { checkFile, loadFromDisk } from './files';
import type { Io } from './main';
import { cliProviders } from './providers';
import { displayPath, secretsOf, storeFor, TRACES_HELP, TRACES_OPTION } from './stores';
import { ALLOW_TOOLS_HELP, ALLOW_TOOLS_OPTION, allowToolsOf } from './tool-options';

const USAGE = `Usage: orchestrate debug-adapter [--traces DIR] [--allow-tools PATTERN]

Speaks the Debug Adapter Protocol on stdin and stdout, so any DAP client (VS Code,
nvim-dap, Emacs dap-mode …) can debug workflows: breakpoints on steps, stepping,
the run's state as variables, CEL in the console. A launch request takes
\`workflow\` (the file), \`inputs\`, \`stopOnEntry\`, \`mock\`, \`mockDelay\`,
\`cache\` (reuse|refresh|off), \`trace\` (false: do not record) and
\`allowTools\` (patterns, added to --allow-tools).
Options:
${TRACES_HELP}
${ALLOW_TOOLS_HELP}
`;

export const debugAdapterCommand = {
  summary: 'debug workflows from any editor over the Debug Adapter Protocol (stdio)',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { options } = parseArgs(argv, { ...TRACES_OPTION, ...ALLOW_TOOLS_OPTION });
    const session = new WorkflowDebugSession(cliDebugHost(io, options.traces, allowToolsOf(options)));
    // Ends with its input rather than exiting the process under us.
    session.setRunAsServer(true);
    session.start(process.stdin, process.stdout);
    await once(process.stdin, 'end');
    return 0;
  },
};

/** Files from the disk, the CLI's providers behind the cache, traces in the CLI's store. */
export function cliDebugHost(io: Io, traces: unknown, allowTools: readonly string[] = []): DebugHost {
  const store = storeFor(io, traces);
  const warn = (message: string) => io.err(`warning: ${message}\n`);
  return {
    check: async (file) => checkFile(file),
    loadWorkflow: loadFromDisk,
    async providers(launch) {
      // As `orchestrate run` composes them (execute.ts): the call log for tests, then the cache.
      let providers = await cliProviders({ io, forceMock: launch.mock === true, mockDelayMs: launch.mockDelay });
      if (io.env.ORCHESTRATE_MOCK_CALL_LOG) providers = callLogResolver(providers, path.resolve(io.cwd, io.env.ORCHESTRATE_MOCK_CALL_LOG));
      const policy: CachePolicy = launch.cache ?? 'reuse';
      return cachingResolver(providers, new CacheStore(store.cacheDir, { onWarning: warn }), policy, {
        onWarning: warn,
        cacheMock: /^(1|true|yes)$/i.test(io.env.ORCHESTRATE_CACHE_MOCK ?? ''),
      });
    },
    record: (workflow, text, launch) =>
      foldedRecording(workflow, recordedRun(workflow, {
        store: launch.trace === false ? undefined : store,
        workflowText: text,
        secrets: secretsOf(io.env),
        onError: (error) => warn(`the trace stopped recording (${describeFsError(error)}); the run goes on unrecorded`),
        onUnrecorded: (error) => warn(`cannot record this run in ${displayPath(store.runsDir, io)} (${describeFsError(error)}); it runs unrecorded`),
      })),
    // Nobody can be asked over DAP: the flag and the launch's `allowTools` are the consent. A bad pattern fails the launch with the flag's message.
    tools: (_workflow, launch, traceFile) => {
      const launched = Array.isArray(launch.allowTools) ? launch.allowTools.filter((p): p is string => typeof p === 'string') : [];
      const problem = allowToolsProblem(launched);
      if (problem) return Promise.reject(new Error(`launch \`allowTools\`: ${problem.replace(/^--allow-tools: /, '')}`));
      return headlessToolSession({ workspaceFolder: io.cwd, env: io.env, allowTools: [...allowTools, ...launched], traceFile, warn });
    },
  };
}
