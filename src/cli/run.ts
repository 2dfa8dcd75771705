import { formatProblem, hasErrors, type RunEvent } from '../engine';
import { readTrace } from '../engine/trace';
import { parseArgs, parseAssignments, UsageError } from './args';
import { invalidWorkflow, JSON_ERROR_HELP } from './errors';
import { EXECUTE_HELP, EXECUTE_OPTIONS, execute } from './execute';
import { checkedInputs } from './inputs';
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
Exit status: 0 succeeded, 1 the workflow failed or was cancelled (or --out could not be
written at the end), 2 the file is invalid, an input is missing or unknown, or --out cannot be written.

${JSON_ERROR_HELP}
`;

export const runCommand = {
  summary: 'run a workflow with live progress; print its outputs',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, { ...EXECUTE_OPTIONS, replay: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name the workflow file to run' : `name exactly one workflow file, not ${positionals.length}`);
    const file = positionals[0];
    const { workflow, problems, text } = checkFile(file);
    if (!workflow || hasErrors(problems)) throw invalidWorkflow(file, problems);
    for (const problem of problems) io.err(`${formatProblem(problem)}\n`);

    let replay: { events: RunEvent[]; source: string; file: string } | undefined;
    let recordedInputs: Record<string, unknown> = {};
    if (typeof options.replay === 'string') {
      const trace = await resolveTrace(options.replay, storeFor(io, options.traces), io);
      const contents = await readTrace(trace);
      for (const warning of contents.warnings) io.err(`warning: ${warning}\n`);
      replay = { events: contents.events, source: `the recording ${displayPath(trace, io)}`, file: trace };
      recordedInputs = contents.started.inputs;
    }

    const inputs = checkedInputs(workflow, recordedInputs, parseAssignments(options.input as string[] | undefined, '--input'));
    return execute(io, options, { workflow, workflowText: text, runOptions: { inputs }, replay });
  },
};
