/** `orchestrate import FILE [--out FILE]`: a workflow from a Prompt flow, Prompty, GitHub Models or Agent Framework file. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FORMAT_NAMES, ImportError, importWorkflow } from '../authoring/import';
import { checkWorkflow, formatProblem, hasErrors } from '../engine';
import { parseArgs, UsageError } from './args';
import { readWorkflowText } from './files';
import type { Io } from './main';

const USAGE = `Usage: orchestrate import FILE [--out FILE]

Converts a workflow from another tool; the format is recognised from the file:
  Prompt flow        flow.dag.yaml (llm and prompt nodes, their Jinja templates;
                     Python nodes become marked placeholder steps)
  Prompty            *.prompty (front matter and body → one prompt step)
  GitHub Models      *.prompt.yml (messages, model parameters)
  Agent Framework    declarative workflow YAML (kind: Workflow)

Prints the workflow (or writes it to --out) with a report of what did not map, and
why, as its header comment; the report also goes to stderr.
Exit status: 0 imported and valid, 1 imported with problems, 2 usage or unreadable.
`;

export const importCommand = {
  summary: 'convert a Prompt flow, Prompty, GitHub Models or Agent Framework file',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, { out: { type: 'string', short: 'o' } });
    if (positionals.length !== 1) throw new UsageError('name one file to import');
    const file = path.resolve(io.cwd, positionals[0]);
    const source = readWorkflowText(file);
    const dir = path.dirname(file);
    const readSibling = (relative: string) => {
      const target = path.resolve(dir, relative);
      // Templates are read from the flow's folder only: a hostile flow cannot read other files.
      if (path.relative(dir, target).startsWith('..') || !existsSync(target)) return undefined;
      return readFileSync(target, 'utf8');
    };
    let result;
    try {
      result = importWorkflow(file, source, readSibling);
    } catch (error) {
      if (error instanceof ImportError) {
        io.err(`orchestrate import: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
    const out = typeof options.out === 'string' ? path.resolve(io.cwd, options.out) : undefined;
    if (out) writeFileSync(out, result.text);
    else io.out(result.text);
    io.err(`Imported ${positionals[0]} (${FORMAT_NAMES[result.format]})${out ? ` → ${options.out}` : ''}\n${result.report.lines().map((line) => `  ${line}\n`).join('')}`);
    const { problems } = checkWorkflow(result.text, out ?? 'imported.workflow.yaml');
    for (const problem of problems) io.err(`${formatProblem(problem)}\n`);
    return hasErrors(problems) ? 1 : 0;
  },
};
