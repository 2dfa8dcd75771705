/**
 * The tool session of a run nobody watches — `orchestrate run`, `serve`, `worker`,
 * `mcp`, `test` and `debug-adapter` all build theirs here, so the rules are one:
 * servers from each workflow's `mcp:` and the workspace's files (CLI_SOURCES), nobody
 * to ask, so a tool that needs consent runs only when `--allow-tools` names it (else
 * the call fails with `tool-denied`, naming the flag). The editor builds its own,
 * with consent (src/extension/runs/tool-consent.ts).
 */
import { createRunTools } from '../tools/run-tools';
import { fileResultStore, recordedResults } from '../tools/result-store';
import { parsePatternList } from '../tools/patterns';
import { parseWorkflowMcp } from '../tools/workflow-servers';
import type { RunEvent } from '../types';
import { ToolSession } from './tool-session';

export interface HeadlessToolsOptions {
  /** Where `.vscode/mcp.json`, `.mcp.json` and `orchestrate.config.json` are read, and `${workspaceFolder}`. */
  workspaceFolder: string;
  /** The environment servers' `${env:NAME}` read. */
  env: Record<string, string | undefined>;
  /** `--allow-tools` values as given (comma-separated patterns, repeatable). */
  allowTools?: readonly string[];
  /** The run's trace: whole results too big for their event are kept beside it. */
  traceFile?: string;
  /** A recorded run whose calls are answered, never repeated (`--replay`, resume); `file` is a trace in its folder, for results kept beside it. */
  recorded?: { events: readonly RunEvent[]; file?: string };
  /** `--replay`: only recorded results answer; no server starts. */
  replayOnly?: boolean;
  /** Told about broken server files and `mcp:` references nobody configures. */
  warn?: (message: string) => void;
  /** Each line a server writes on stderr. */
  onServerLog?: (server: string, line: string) => void;
}

/** Throws PatternError for a bad `--allow-tools` pattern: check flags with {@link allowToolsProblem} first. */
export async function headlessToolSession(options: HeadlessToolsOptions): Promise<ToolSession> {
  parsePatternList(options.allowTools ?? []);
  const recorded = options.recorded ? await recordedResults(options.recorded.events, options.recorded.file) : undefined;
  const { traceFile } = options;
  return new ToolSession({
    recorded,
    replayOnly: options.replayOnly === true,
    open: async (workflow) => {
      const tools = await createRunTools({
        workflow: workflow.mcp ?? parseWorkflowMcp(undefined, workflow.file),
        workspaceFolder: options.workspaceFolder,
        env: options.env,
        allowTools: options.allowTools,
        trusted: true,
        onServerLog: options.onServerLog,
      });
      for (const problem of tools.problems) options.warn?.(problem.message);
      return { host: tools.host, policy: tools.policy, ...(traceFile ? { storeResult: fileResultStore(traceFile) } : {}) };
    },
  });
}

/** `--allow-tools` values checked before anything runs: the message of a bad pattern, or undefined. */
export function allowToolsProblem(values: readonly string[]): string | undefined {
  try {
    parsePatternList(values);
    return undefined;
  } catch (error) {
    return `--allow-tools: ${error instanceof Error ? error.message : String(error)}`;
  }
}
