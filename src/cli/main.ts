/**
 * `orchestrate`: validate and run workflows headless — in a terminal, in CI, with
 * the mock provider when no key is set.
 */
import { resumeCommand } from './resume';
import { runCommand } from './run';
import { runsCommand } from './runs';
import { serveCommand } from './serve';
import { traceCommand } from './trace';
import { validateCommand } from './validate';
import { workerCommand } from './worker';
import { UsageError } from './args';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  color: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
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
};

const HELP = `orchestrate — run multi-step LLM workflows defined in YAML

Usage: orchestrate <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
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
    io.err(`orchestrate: unknown command \`${name}\`\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`orchestrate ${name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    // Bad input never produces a stack trace; an engine bug still says where to look.
    io.err(`orchestrate ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    if (io.env.ORCHESTRATE_DEBUG) io.err(`${error instanceof Error ? error.stack : ''}\n`);
    return 1;
  }
}

declare const ORCHESTRATE_VERSION: string | undefined;
const VERSION = typeof ORCHESTRATE_VERSION === 'string' ? ORCHESTRATE_VERSION : 'dev';

/** The process entry: `bin/orchestrate.js` calls this. */
export function cli(): void {
  const io: Io = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
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
