import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { formatProblem, hasErrors, resolveInputs, runWorkflow, stringifyOutput, type RunEvent, type RunResult } from '../engine';
import { parseArgs, parseAssignments, UsageError } from './args';
import { checkFile, loadFromDisk } from './files';
import type { Io } from './main';
import { progressPrinter } from './progress';
import { cliProviders } from './providers';

const USAGE = `Usage: orchestrate run FILE [options]

Runs a workflow, showing a line per step event, then prints its outputs.

Options:
  -i, --input NAME=VALUE   a workflow input, or the answer to an \`input:\` step (by step id); repeatable
  --mock                   use the mock provider for every step (also ORCHESTRATE_USE_MOCK=true)
  --mock-delay MS          how long each mock reply takes (streamed), default 0
  --json                   print the whole result as JSON on stdout (progress stays on stderr)
  --out FILE               also write the whole result as JSON to FILE
  --verbose                show streamed model output as it arrives
  --quiet                  no progress lines

Without an API key (OPENAI_API_KEY, or ./.env), steps that use \`openai\` run on the mock provider.
Exit status: 0 succeeded, 1 the workflow failed or was cancelled, 2 the file is invalid or an input is missing.
`;

export const runCommand = {
  summary: 'run a workflow with live progress; print its outputs',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, {
      input: { type: 'string', multiple: true, short: 'i' },
      mock: { type: 'boolean' },
      'mock-delay': { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      verbose: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    });
    if (positionals.length !== 1) throw new UsageError('name exactly one workflow file');
    const file = positionals[0];
    if (!existsSync(file)) {
      io.err(`${file}: no such file\n`);
      return 2;
    }
    const { workflow, problems } = checkFile(file);
    for (const problem of problems) io.err(`${formatProblem(problem)}\n`);
    if (!workflow || hasErrors(problems)) return 2;

    const given = parseAssignments(options.input as string[] | undefined, '--input');
    const { missing, errors } = resolveInputs(workflow, given);
    for (const error of errors) io.err(`${file}:${error.input.range.start.line}:${error.input.range.start.column}: input: ${error.message}\n`);
    for (const input of missing) {
      io.err(
        `${file}:${input.range.start.line}:${input.range.start.column}: input: \`${input.name}\` is required${input.description ? ` (${input.description})` : ''}: pass --input ${input.name}=VALUE\n`,
      );
    }
    if (missing.length > 0 || errors.length > 0) return 2;

    const mockDelay = options['mock-delay'] === undefined ? undefined : Number(options['mock-delay']);
    if (mockDelay !== undefined && !(mockDelay >= 0)) throw new UsageError('--mock-delay takes a number of milliseconds');
    const providers = cliProviders({ io, forceMock: options.mock === true, mockDelayMs: mockDelay });
    const progress = options.quiet ? undefined : progressPrinter({ color: io.color, verbose: options.verbose === true, write: (line) => io.err(`${line}\n`) });

    const controller = new AbortController();
    const onSignal = () => controller.abort('interrupted (Ctrl-C)');
    process.once('SIGINT', onSignal);
    let result: RunResult;
    try {
      result = await runWorkflow(workflow, {
        inputs: given,
        providers,
        loadWorkflow: loadFromDisk,
        signal: controller.signal,
        onEvent: (event: RunEvent) => progress?.(event),
      });
    } finally {
      process.removeListener('SIGINT', onSignal);
    }

    if (options.out) {
      const out = path.resolve(io.cwd, String(options.out));
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    }
    if (options.json) io.out(JSON.stringify(result, null, 2) + '\n');
    else if (result.status === 'succeeded') printOutputs(result.outputs, io);
    return result.status === 'succeeded' ? 0 : 1;
  },
};

function printOutputs(outputs: Record<string, unknown>, io: Io): void {
  const entries = Object.entries(outputs);
  if (entries.length === 0) return;
  io.out('\n');
  for (const [name, value] of entries) {
    const text = stringifyOutput(value);
    io.out(text.includes('\n') ? `${name}:\n${indent(text)}\n` : `${name}: ${text}\n`);
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
