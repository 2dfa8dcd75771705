/**
 * `orchestrate`: validate and run workflows headless — in a terminal, in CI, with
 * the mock provider when no key is set.
 */
import { debugAdapterCommand } from './debug-adapter';
import { mcpCommand } from './mcp';
import { importCommand } from './import';
import { mergeCommand, mergeDriverCommand } from './merge';
import { newCommand } from './new';
import { resumeCommand } from './resume';
import { runCommand } from './run';
import { runsCommand } from './runs';
import { serveCommand } from './serve';
import { testCommand } from './test';
import { traceCommand } from './trace';
import { validateCommand } from './validate';
import { workerCommand } from './worker';
import { UsageError, wantsJson } from './args';
import { CliError } from './errors';
import { didYouMean } from '../engine/suggest';
import { ConfigError } from '../engine/providers/config';
import { ResumeError, TraceFormatError } from '../engine/trace';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  color: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  /**
   * Resolves once everything given to `out` has been handed to the OS. A pipe takes a
   * large write in pieces; waiting here keeps a later `err` line (under `2>&1`, the
   * same pipe) from landing inside it. Absent when `out` is synchronous.
   */
  flushOut?: () => Promise<void>;
}

interface Command {
  summary: string;
  usage: string;
  run: (argv: string[], io: Io) => Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  validate: validateCommand,
  run: runCommand,
  resume: resumeCommand,
  runs: runsCommand,
  trace: traceCommand,
  serve: serveCommand,
  worker: workerCommand,
  test: testCommand,
  mcp: mcpCommand,
  merge: mergeCommand,
  'merge-driver': mergeDriverCommand,
  import: importCommand,
  new: newCommand,
  'debug-adapter': debugAdapterCommand,
};

const HELP = `orchestrate — run multi-step LLM workflows defined in YAML

Usage: orchestrate <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(Math.max(...Object.keys(COMMANDS).map((n) => n.length)))}  ${command.summary}`)
  .join('\n')}

Run \`orchestrate <command> --help\` for a command's options.
Environment: OPENAI_API_KEY, OPENAI_BASE_URL (also read from ./.env), ORCHESTRATE_USE_MOCK=true.
`;

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    const error = new CliError('usage', `unknown command \`${name}\`${didYouMean(name, Object.keys(COMMANDS))}`);
    io.err(`orchestrate: ${error.message}\n\n${HELP}`);
    if (wantsJson(rest)) io.out(JSON.stringify(error.toJSON(), null, 2) + '\n');
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  const json = wantsJson(rest);
  try {
    return await command.run(rest, io);
  } catch (thrown) {
    const error = asCliError(thrown);
    if (thrown instanceof UsageError) io.err(`orchestrate ${name}: ${error.message}\n(\`orchestrate ${name} --help\` lists its options)\n`);
    else io.err(error.code === 'internal' ? `orchestrate ${name}: ${error.message}\n` : `${error.text}\n`);
    // An engine bug still says where to look.
    if (error.code === 'internal' && io.env.ORCHESTRATE_DEBUG) io.err(`${thrown instanceof Error ? thrown.stack : ''}\n`);
    if (json) io.out(JSON.stringify(error.toJSON(), null, 2) + '\n');
    return error.exitCode;
  }
}

/** Every way a command can fail, in the one shape: bad input never produces a stack trace. */
function asCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof UsageError) return new CliError('usage', error.message);
  if (error instanceof TraceFormatError) return new CliError(error.code, error.message, { file: error.file, line: error.line });
  if (error instanceof ConfigError) return new CliError('config-invalid', error.message);
  if (error instanceof ResumeError) return new CliError(error.code === 'workflow-invalid' ? 'workflow-invalid' : error.code, error.message);
  return new CliError('internal', error instanceof Error ? error.message : String(error), { exitCode: 1 });
}

declare const ORCHESTRATE_VERSION: string | undefined;
const VERSION = typeof ORCHESTRATE_VERSION === 'string' ? ORCHESTRATE_VERSION : 'dev';

/** The process entry: `bin/orchestrate.js` calls this. */
export function cli(): void {
  // `orchestrate … | head`: once the reader has gone, output is dropped rather than crashing the run.
  let stdoutGone = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && !stdoutGone) throw error;
    stdoutGone = true;
  });
  const io: Io = {
    out: (text) => {
      if (!stdoutGone) process.stdout.write(text);
    },
    err: (text) => process.stderr.write(text),
    flushOut: () => new Promise((resolve) => (stdoutGone ? resolve() : process.stdout.write('', () => resolve()))),
    color: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
    env: process.env,
    cwd: process.cwd(),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`orchestrate: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) cli();
