/** `--allow-tools PATTERN`, the same on every command that runs workflows (run, resume, test, serve, worker, mcp, debug-adapter). */
import { allowToolsProblem } from '../engine/run/headless-tools';
import { UsageError, type OptionSpec, type Parsed } from './args';

export const ALLOW_TOOLS_OPTION: Record<string, OptionSpec> = { 'allow-tools': { type: 'string', multiple: true } };

export const ALLOW_TOOLS_HELP = `  --allow-tools PATTERN    let these MCP tools run without asking (files.read_text_file, files.*, *.get_*);
                           comma-separated, repeatable. Without it a tool that needs consent is denied`;

/** The flag's values, checked before anything runs (a bad pattern is a usage error). */
export function allowToolsOf(options: Parsed['options']): string[] {
  const values = (options['allow-tools'] as string[] | undefined) ?? [];
  const problem = allowToolsProblem(values);
  if (problem) throw new UsageError(problem);
  return values;
}
