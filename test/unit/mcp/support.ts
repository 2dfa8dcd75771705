// Spawns `orchestrate mcp` from source (no build needed) as a real process, and a
// temp workspace of workflows for it to serve.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
const TSX = `file://${require.resolve('tsx', { paths: [REPO_ROOT] })}`;
const ENTRY = path.join(REPO_ROOT, 'test/support/cli-entry.ts');

/** `node --import tsx cli-entry.ts …`: the CLI as a process, from source. */
export function cliCommand(args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', TSX, ENTRY, ...args] };
}

export const SUMMARISE = `name: Summarise Text
description: Summarises a text in one line.
inputs:
  text:
    description: The text to summarise.
    required: true
  words:
    type: number
    default: 12
  tone:
    choices: [plain, warm]
    default: plain
steps:
  - id: summary
    prompt: "Summarise in {{ inputs.words }} words, {{ inputs.tone }}: {{ inputs.text }}"
    mock: "Short: {{ inputs.text }}"
  - id: facts
    prompt: "List the facts in {{ inputs.text }}"
    output:
      schema:
        type: object
        properties:
          facts: { type: array, items: { type: string } }
        required: [facts]
    mock: { facts: [one, two] }
outputs:
  summary: "{{ steps.summary.output }}"
  facts: "{{ steps.facts.output }}"
  words: "{{ inputs.words }}"
  label: "summary of {{ size(inputs.text) }} characters"
`;

export const TWO_STEPS = `name: Two Steps
steps:
  - id: first
    prompt: first
    mock: one
  - id: second
    prompt: "second after {{ steps.first.output }}"
    mock: two
outputs:
  result: "{{ steps.second.output }}"
`;

export const CONFIRM = `name: Publish
inputs:
  title: { required: true }
steps:
  - id: confirm
    input: "Publish {{ inputs.title }}?"
    choices: [yes, no]
outputs:
  answer: "{{ steps.confirm.output }}"
`;

export const BROKEN = `name: Broken
steps:
  - id: a
    prompt: "{{ steps.nope.output }}"
`;

/** A workspace folder with workflows; returns its path. */
export function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-mcp-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

export interface StdioServer {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  /** Resolves when the server process has exited. */
  exited: Promise<void>;
}

/** Starts `orchestrate mcp DIR [args]` over stdio and connects the SDK's client to it. */
export async function connectStdio(dir: string, args: string[] = [], env: Record<string, string> = {}, prepare?: (client: Client) => void, capabilities: ClientCapabilities = {}): Promise<StdioServer> {
  const { command, args: argv } = cliCommand(['mcp', dir, '--mock', ...args]);
  const transport = new StdioClientTransport({ command, args: argv, cwd: dir, env: { ORCHESTRATE_USE_MOCK: 'true', ...env }, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'orchestrate-test', version: '1.0.0' }, { capabilities });
  prepare?.(client);
  await client.connect(transport);
  const exited = new Promise<void>((resolve) => {
    const previous = transport.onclose;
    transport.onclose = () => {
      previous?.();
      resolve();
    };
  });
  return { client, transport, stderr: () => stderr, exited };
}

export interface HttpServerProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stop: () => Promise<number | null>;
}

/** Starts `orchestrate mcp DIR --http --port 0 [args]` and waits for the address it prints. */
export function startHttp(dir: string, args: string[] = [], env: Record<string, string> = {}): Promise<HttpServerProcess> {
  const { command, args: argv } = cliCommand(['mcp', dir, '--mock', '--http', '--port', '0', ...args]);
  const child = spawn(command, argv, { cwd: dir, env: { ...process.env, ORCHESTRATE_USE_MOCK: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /at (http:\/\/\S+\/mcp)/.exec(stderr);
      if (match) {
        resolve({
          child,
          url: match[1]!,
          stderr: () => stderr,
          stop: async () => {
            child.kill('SIGTERM');
            return exit;
          },
        });
      }
    });
    void exit.then((code) => reject(new Error(`orchestrate mcp exited with ${code}: ${stderr}`)));
  });
}
