/**
 * `orchestrate merge BASE OURS THEIRS` (try a merge by hand) and `orchestrate
 * merge-driver %O %A %B %P` (git's merge driver contract: the result goes into %A,
 * exit 0 when clean, 1 when conflicts are left).
 */
import { writeFileSync } from 'node:fs';
import { mergeWorkflows } from '../authoring/merge';
import { parseArgs, UsageError } from './args';
import { readWorkflowText } from './files';
import type { Io } from './main';

const MERGE_USAGE = `Usage: orchestrate merge BASE OURS THEIRS [--out FILE]

Merges two edits (OURS, THEIRS) of a workflow made from BASE, step by step: steps
added on either side are kept, a step changed on both sides gets conflict markers
inside that step only, a reordering on one side is kept. Prints the result (or
writes it to --out).

Exit status: 0 clean, 1 conflicts left in the result, 2 usage.
`;

const DRIVER_USAGE = `Usage: orchestrate merge-driver BASE OURS THEIRS [PATH]

Git's merge driver for workflow files (%O %A %B %P): merges by step and writes the
result into OURS. Exit status: 0 clean, 1 conflicts left. Set it up with

  git config merge.orchestrate.driver "npx orchestrate merge-driver %O %A %B %P"
  echo '*.workflow.yaml merge=orchestrate' >> .gitattributes
`;

/** Each file's text, or the CLI's clear error for a missing, binary or huge file. */
function readAll(files: string[]): string[] {
  return files.map(readWorkflowText);
}

export const mergeCommand = {
  summary: 'merge two edits of a workflow step by step (try the merge driver by hand)',
  usage: MERGE_USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, { out: { type: 'string', short: 'o' } });
    if (positionals.length !== 3) throw new UsageError('name three files: BASE OURS THEIRS');
    const [base, ours, theirs] = readAll(positionals);
    const result = mergeWorkflows(base, ours, theirs, { ours: positionals[1], theirs: positionals[2] });
    if (typeof options.out === 'string') writeFileSync(options.out, result.text);
    else io.out(result.text);
    for (const note of result.notes) io.err(`note: ${note}\n`);
    if (result.conflicts > 0) io.err(`${result.conflicts} conflict${result.conflicts === 1 ? '' : 's'} left (marked with <<<<<<< and >>>>>>>)\n`);
    return result.conflicts > 0 ? 1 : 0;
  },
};

export const mergeDriverCommand = {
  summary: "git's merge driver: merge by step, result into OURS (%O %A %B %P)",
  usage: DRIVER_USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals } = parseArgs(argv, {});
    if (positionals.length < 3 || positionals.length > 4) throw new UsageError('git passes %O %A %B and optionally %P');
    const [base, ours, theirs] = readAll(positionals.slice(0, 3));
    const name = positionals[3] ?? positionals[1];
    const result = mergeWorkflows(base, ours, theirs, { ours: `ours:${name}`, theirs: `theirs:${name}` });
    writeFileSync(positionals[1], result.text);
    for (const note of result.notes) io.err(`orchestrate merge-driver: ${name}: ${note}\n`);
    return result.conflicts > 0 ? 1 : 0;
  },
};
