import { existsSync } from 'node:fs';
import { formatProblem, hasErrors, resolveInputs, type RunEvent } from '../engine';
import { readTrace, TraceFormatError } from '../engine/trace';
import { parseArgs, parseAssignments, UsageError } from './args';
import { EXECUTE_HELP, EXECUTE_OPTIONS, execute } from './execute';
import { checkFile } from './files';
import type { Io } from './main';
import { displayPath, resolveTrace, storeFor } from './stores';

const USAGE = `Usage: orchestrate run FILE [options]

Runs a workflow, showing a line per step event, then prints its outputs. The run is
recorded as a trace (printed at the end) that \`orchestrate resume\` can continue and
\`orchestrate trace\` can show; repeated model calls come from the cache.

Options:
${EXECUTE_HELP}
  --replay TRACE|RUN-ID    answer every model call from a recorded run instead of a model,
                           matched by step, visit and item; a step whose messages differ
                           fails with replay-mismatch, one the recording lacks with replay-missing.
                           The recorded inputs are used unless --input gives others.

Without an API key (OPENAI_API_KEY, or ./.env), steps that use \`openai\` run on the mock provider.
Exit status: 0 succeeded, 1 the workflow failed or was cancelled, 2 the file is invalid or an input is missing.
`;

export const runCommand = {
  summary: 'run a workflow with live progress; print its outputs',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, { ...EXECUTE_OPTIONS, replay: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('name exactly one workflow file');
    const file = positionals[0];
    if (!existsSync(file)) {
      io.err(`${file}: no such file\n`);
      return 2;
    }
    const { workflow, problems, text } = checkFile(file);
    for (const problem of problems) io.err(`${formatProblem(problem)}\n`);
    if (!workflow || hasErrors(problems)) return 2;

    let replay: { events: RunEvent[]; source: string } | undefined;
    let recordedInputs: Record<string, unknown> = {};
    if (typeof options.replay === 'string') {
      const trace = await resolveTrace(options.replay, storeFor(io, options.traces), io);
      if (!trace) return 2;
      try {
        const contents = await readTrace(trace);
        for (const warning of contents.warnings) io.err(`warning: ${warning}\n`);
        replay = { events: contents.events, source: `the recording ${displayPath(trace, io)}` };
        recordedInputs = contents.started.inputs;
      } catch (error) {
        if (!(error instanceof TraceFormatError)) throw error;
        io.err(`${error.message}\n`);
        return 2;
      }
    }

    const given = { ...recordedInputs, ...parseAssignments(options.input as string[] | undefined, '--input') };
    const { missing, errors } = resolveInputs(workflow, given);
    for (const error of errors) io.err(`${file}:${error.input.range.start.line}:${error.input.range.start.column}: input: ${error.message}\n`);
    for (const input of missing) {
      io.err(
        `${file}:${input.range.start.line}:${input.range.start.column}: input: \`${input.name}\` is required${input.description ? ` (${input.description})` : ''}: pass --input ${input.name}=VALUE\n`,
      );
    }
    if (missing.length > 0 || errors.length > 0) return 2;

    return execute(io, options, { workflow, workflowText: text, runOptions: { inputs: given }, replay });
  },
};
