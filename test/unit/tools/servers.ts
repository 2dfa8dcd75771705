// The real MCP servers the tool tests run, from the pinned devDependencies, started
// the way users start them (a process over stdio; streamable HTTP on a port).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import type { DeclarationOrigin, StdioServerDeclaration } from '../../../src/engine/tools';

const REPO_ROOT = path.resolve(__dirname, '../../..');
export const FILESYSTEM_BIN = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
export const EVERYTHING_BIN = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

const ORIGIN: DeclarationOrigin = { file: 'test.workflow.yaml', kind: 'workflow', path: 'mcp' };

export function filesystemServer(name: string, folder: string): StdioServerDeclaration {
  return { name, transport: 'stdio', command: process.execPath, args: [FILESYSTEM_BIN, folder], env: {}, origin: ORIGIN };
}

export function everythingServer(name: string, env: Record<string, string> = {}): StdioServerDeclaration {
  return { name, transport: 'stdio', command: process.execPath, args: [EVERYTHING_BIN, 'stdio'], env, origin: ORIGIN };
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** server-everything over streamable HTTP; resolves once it says it listens. */
export async function startEverythingHttp(): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING_BIN, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(`listening on port ${port}`)) resolve();
    });
    void exited.then(() => reject(new Error(`server-everything exited: ${stderr}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Whether a process is still alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
