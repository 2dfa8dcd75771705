/**
 * Helpers for the durable-runs tests (traces, resume, cache, replay): temporary
 * folders, the CLI in-process and as a real process, a chain workflow, and a
 * provider that counts its calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main, type Io } from '../../src/cli/main';
import { checkWorkflow, hasErrors, MockProvider, type ModelRequest, type ModelResponse, type Provider, type ProviderResolver, type Workflow } from '../../src/engine';
import type { MockScript } from '../../src/engine/providers/mock-script';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** A fresh folder under the OS's temp folder; removed by the returned function. */
export function tempDir(prefix = 'orchestrate-durable-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in this process with a captured Io. Pass absolute file paths. */
export async function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t), color: false, env: { ...options.env }, cwd: options.cwd };
  const code = await main(args, io);
  return { code, out, err };
}

/** Starts the CLI from source as a real child process (no build needed). */
export function spawnCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): ChildProcess {
  const tsx = require.resolve('tsx', { paths: [REPO_ROOT] });
  return spawn(process.execPath, ['--import', `file://${tsx}`, path.join(REPO_ROOT, 'test/support/cli-entry.ts'), ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits for a child to exit; resolves with its code (or the signal's name) and its output. */
export function exited(child: ChildProcess): Promise<{ code: number | string; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? signal ?? -1, out, err })));
}

/**
 * A chain of `count` prompt steps in groups of five: each step's prompt includes the
 * previous step's output, except the first of each group, which stands alone. Editing
 * step k therefore changes the rendered prompts of k and the rest of its group only.
 * `edit` appends text to that step's prompt.
 */
export function chainWorkflow(count: number, options: { provider?: string; edit?: number } = {}): string {
  const lines = ['name: Chain', `model: { provider: ${options.provider ?? 'mock'}, name: chain-model }`, 'steps:'];
  for (let i = 1; i <= count; i++) {
    const upstream = i % 5 === 1 ? '' : ` Build on: {{ steps.s${i - 1}.output }}`;
    const edited = options.edit === i ? ' (edited: be brief)' : '';
    lines.push(`  - id: s${i}`, `    prompt: "Step ${i}.${upstream}${edited}"`);
  }
  return lines.join('\n') + '\n';
}

/** Writes a workflow file and checks it, failing loudly if it has errors. */
export function writeWorkflow(file: string, text: string): Workflow {
  writeFileSync(file, text);
  const { workflow, problems } = checkWorkflow(text, file);
  if (!workflow || hasErrors(problems)) throw new Error(`test workflow ${file} is invalid: ${problems.map((p) => p.message).join('; ')}`);
  return workflow;
}

/** A deterministic provider (the mock's replies) under its own id, recording every call it gets. */
export class CountingProvider implements Provider {
  readonly calls: ModelRequest[] = [];
  private readonly mock = new MockProvider();
  constructor(readonly id = 'counting') {}
  complete(request: ModelRequest): Promise<ModelResponse> {
    this.calls.push(request);
    return this.mock.complete(request);
  }
  /** The same provider for one run with `mock:` replies: calls are still counted here. */
  withScript(script: MockScript): Provider {
    const scripted = this.mock.withScript(script);
    return {
      id: this.id,
      complete: (request) => {
        this.calls.push(request);
        return scripted.complete(request);
      },
    };
  }
  /** `stepId`, `stepId[index]` or `stepId@visit` per call, in order. */
  get steps(): string[] {
    return this.calls.map((c) => `${c.stepId}${c.index !== undefined ? `[${c.index}]` : ''}${(c.visit ?? 1) > 1 ? `@${c.visit}` : ''}`);
  }
}

/** A resolver where every provider name is `provider`. */
export function only(provider: Provider): ProviderResolver {
  return { resolve: () => provider };
}
