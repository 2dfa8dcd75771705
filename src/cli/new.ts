/** `orchestrate new --goal "…"`: a workflow drafted by the generator workflow and checked by the analyzer. */
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_MAX_ROUNDS, GenerateError, generateWorkflow } from '../authoring/generate';
import { formatProblem } from '../engine';
import { parseArgs, UsageError } from './args';
import type { Io } from './main';
import { cliProviders } from './providers';

const USAGE = `Usage: orchestrate new --goal "what the workflow should do" [--out FILE] [--mock]

Drafts a workflow for the goal. The generator is itself an Orchestrate workflow: it
proposes workers and steps, the analyzer checks the draft, and the problems go back
to the model until the draft is clean (at most --rounds drafts). The result starts
with the model's explanation as a comment. On the mock provider (--mock, or no API
key) it is a skeleton made from the goal's words.

Options:
  -g, --goal TEXT     what the workflow should do (required)
  -o, --out FILE      write the workflow here (refuses to overwrite) instead of printing it
  --mock              use the mock provider (or ORCHESTRATE_USE_MOCK=true)
  --rounds N          drafts at most (default ${DEFAULT_MAX_ROUNDS})

Exit status: 0 a clean workflow, 1 problems left in it (listed), 2 usage.
`;

export const newCommand = {
  summary: 'draft a new workflow from a goal (checked and repaired by the analyzer)',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, {
      goal: { type: 'string', short: 'g' },
      out: { type: 'string', short: 'o' },
      mock: { type: 'boolean' },
      rounds: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected \`${positionals[0]}\`: put the goal in quotes after --goal`);
    const goal = typeof options.goal === 'string' ? options.goal : '';
    if (!goal.trim()) throw new UsageError('say what the workflow should do: --goal "…"');
    const rounds = options.rounds === undefined ? DEFAULT_MAX_ROUNDS : Number(options.rounds);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) throw new UsageError('--rounds takes a whole number from 1 to 10');
    const out = typeof options.out === 'string' ? path.resolve(io.cwd, options.out) : undefined;
    if (out && existsSync(out)) throw new UsageError(`${options.out} already exists; choose another --out`);
    const providers = await cliProviders({ io, forceMock: options.mock === true });
    let generated;
    try {
      generated = await generateWorkflow({
        goal,
        providers,
        maxRounds: rounds,
        file: out ?? 'new.workflow.yaml',
        onRound: (round, problems) => {
          const errors = problems.filter((p) => p.severity === 'error');
          io.err(`draft ${round}: ${errors.length === 0 ? 'clean' : `${errors.length} problem${errors.length === 1 ? '' : 's'}${round < rounds ? ', sent back to the model' : ''}`}\n`);
        },
      });
    } catch (error) {
      if (error instanceof GenerateError) {
        io.err(`orchestrate new: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    if (out) {
      writeFileSync(out, generated.text);
      io.err(`wrote ${options.out}\n`);
    } else io.out(generated.text);
    const errors = generated.problems.filter((p) => p.severity === 'error');
    for (const problem of errors) io.err(`${formatProblem(problem)}\n`);
    return errors.length > 0 ? 1 : 0;
  },
};
