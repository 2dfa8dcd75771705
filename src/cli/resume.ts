import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { formatProblem, hasErrors } from '../engine';
import { planResume, readTrace, storeHolding, type ResumePlan } from '../engine/trace';
import { parseArgs, parseAssignments, UsageError } from './args';
import { CliError, invalidWorkflow, JSON_ERROR_HELP } from './errors';
import { checkedInputs } from './inputs';
import { EXECUTE_HELP, EXECUTE_OPTIONS, execute } from './execute';
import { checkFile } from './files';
import type { Io } from './main';
import { displayPath, resolveTrace, storeFor } from './stores';

const USAGE = `Usage: orchestrate resume TRACE|RUN-ID [options]

Continues a failed, cancelled or interrupted run from its trace: the steps that
finished are restored from the trace with no model call, the rest run. It uses the
run's recorded inputs (--input overrides one) and the workflow file the run used.
The continuation is a new run with its own trace, whose \`run.started\` names the
run it continues (\`resumedFrom\`); the old trace is left as it was.

Options:
  --workflow FILE          the workflow to continue with, when it moved since the run
${EXECUTE_HELP}

A RUN-ID may be shortened to any prefix that names one run (see \`orchestrate runs\`).
Exit status: 0 succeeded, 1 the workflow failed or was cancelled, 2 the trace cannot be
read or resumed, the workflow file is invalid, or an --input is unknown or malformed.

${JSON_ERROR_HELP}
`;

export const resumeCommand = {
  summary: 'continue a failed, cancelled or interrupted run from its trace',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, { ...EXECUTE_OPTIONS, workflow: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('name one trace file or run id');
    const store = storeFor(io, options.traces);
    const trace = await resolveTrace(positionals[0], store, io);

    const { started } = await readTrace(trace);
    const given = typeof options.workflow === 'string' ? options.workflow : undefined;
    const file = given !== undefined ? path.resolve(io.cwd, given) : (started.workflowPath ?? path.resolve(io.cwd, started.workflow.file));
    if (given === undefined && !existsSync(file)) {
      throw new CliError('workflow-missing', `run ${started.runId} ran ${displayPath(file, io)}, which no longer exists; name the workflow with --workflow FILE`, { file });
    }
    const { workflow, problems, text } = checkFile(file);
    if (!workflow || hasErrors(problems)) throw invalidWorkflow(file, problems);
    for (const problem of problems) io.err(`${formatProblem(problem)}\n`);
    const plan: ResumePlan = await planResume(trace, { workflow, workflowText: text });
    plan.runOptions.inputs = checkedInputs(workflow, plan.inputs, parseAssignments(options.input as string[] | undefined, '--input'));
    for (const warning of plan.warnings) io.err(`warning: ${warning}\n`);
    const home = storeHolding(trace) ?? store;
    const listed = (await home.listRuns()).find((run) => run.id === plan.trace.started.runId);
    if (listed?.status === 'running') io.err(`warning: run ${listed.id} looks still running (its process is alive); the continuation and it may repeat the same calls\n`);
    if (!options.quiet) {
      io.err(`resuming run ${plan.trace.started.runId}: ${plan.restorer.available} finished step execution${plan.restorer.available === 1 ? '' : 's'} in its trace\n`);
    }
    // A continuation goes next to the run it continues unless --traces says otherwise.
    const traces = options.traces ?? (existsSync(trace) ? storeHolding(trace)?.root : undefined) ?? store.root;
    return execute(io, { ...options, traces }, { workflow: plan.workflow, workflowText: plan.workflowText, runOptions: plan.runOptions, recordedTools: { events: plan.trace.events, file: trace } });
  },
};
