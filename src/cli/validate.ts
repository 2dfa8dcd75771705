import * as path from 'node:path';
import { formatProblem, hasErrors, type Problem } from '../engine';
import { parseArgs, UsageError } from './args';
import { CliError } from './errors';
import { checkFile, expandFolders } from './files';
import type { Io } from './main';

const USAGE = `Usage: orchestrate validate FILE|FOLDER...

Checks workflow files: YAML syntax, the schema, references between steps, inputs
and workers, transitions, and CEL expressions. Prints one line per problem:

  file:line:col: code: message

Exit status: 0 when no file has errors (warnings are printed but allowed), 1 otherwise
(also when a file is missing, a folder, or not text), 2 for bad usage.
Options:
  --quiet     print errors only, not warnings
`;

export const validateCommand = {
  summary: 'check workflow files and print file:line:col: code: message per problem',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, { quiet: { type: 'boolean', short: 'q' } });
    if (positionals.length === 0) throw new UsageError('name at least one workflow file');
    let failed = false;
    for (const file of expandFolders(positionals, io.cwd)) {
      let problems: Problem[];
      try {
        // Read from the command's folder, reported under the name as typed.
        const full = path.resolve(io.cwd, file);
        problems = checkFile(full).problems.map((problem) => (problem.file === full ? { ...problem, file } : problem));
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        // One unreadable file does not hide the problems of the others.
        io.err(`${error.message}\n`);
        failed = true;
        continue;
      }
      for (const problem of problems) {
        if (options.quiet && problem.severity !== 'error') continue;
        io.out(`${formatProblem(problem)}\n`);
      }
      if (hasErrors(problems)) failed = true;
    }
    return failed ? 1 : 0;
  },
};
