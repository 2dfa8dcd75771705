/**
 * The editor's connection to one `orchestrate serve` server (the shared history):
 * the address from the `orchestrate.server.url` setting, its bearer token from the
 * secret storage (never a setting), and the server's runs, listed in the background
 * every few seconds. Nothing here blocks the UI or raises a popup: a server that is
 * down is a status (one row in the runs view) until it answers again.
 *
 * In a restricted (untrusted) workspace nothing connects: a workspace could
 * otherwise point the editor, and the token, at any address.
 */
import * as vscode from 'vscode';
import type { RunEvent } from '../../engine';
import { ServeClient, ServeClientError, serverAddress, parseServerUrl } from '../../serve/client';
import { loadServerRun, type ServerRun, type ServerRunSource } from './server-run-content';
import { parseServerRunLocation, serverRunSummary, type ServerRunSummary } from './server-runs';

export const SERVER_URL_SETTING = 'server.url';

export type ServerStatus =
  | { kind: 'none' }
  | { kind: 'restricted'; address: string }
  | { kind: 'connecting'; address: string }
  | { kind: 'connected'; address: string; runs: ServerRunSummary[] }
  | { kind: 'failed'; address: string; code: string; message: string };

/** How often the runs are listed: often enough to see a teammate's run start, rarely enough to cost nothing. */
const POLL_MS = 5_000;
/** How often a server that did not answer is tried again. */
const RETRY_MS = 30_000;
const LISTED_RUNS = 200;

export function tokenKey(address: string): string {
  return `orchestrate.server.token:${address}`;
}

/** The address the setting names, or undefined when unset or malformed (a malformed one is reported as a failure). */
export function configuredAddress(): string | undefined {
  const raw = vscode.workspace.getConfiguration('orchestrate').get<string>(SERVER_URL_SETTING);
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
}

export class ServerConnection implements ServerRunSource, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private current: ServerStatus = { kind: 'none' };
  private client: ServeClient | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private polling: Promise<void> | undefined;
  /** Bumped on every reconnect, so an answer for an old address is dropped. */
  private generation = 0;
  private fingerprint = '';
  /** The address and token being read (a panel restored at start-up waits for it before asking for a run). */
  private settingUp: Promise<boolean> = Promise.resolve(false);
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log?: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`orchestrate.${SERVER_URL_SETTING}`)) void this.reload();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.reload()),
      secrets.onDidChange((e) => {
        if (this.client && e.key === tokenKey(this.client.address)) void this.reload();
      }),
    );
  }

  get status(): ServerStatus {
    return this.current;
  }

  /** The server's runs as last listed (none while not connected). */
  runs(): ServerRunSummary[] {
    return this.current.kind === 'connected' ? this.current.runs : [];
  }

  /** Reads the setting and the token again and lists the runs at once. */
  async reload(): Promise<void> {
    this.settingUp = this.setUp();
    if (await this.settingUp) await this.poll();
  }

  /** True when there is a server to list. */
  private async setUp(): Promise<boolean> {
    const generation = ++this.generation;
    clearTimeout(this.timer);
    this.client = undefined;
    this.fingerprint = '';
    const raw = configuredAddress();
    if (!raw) return this.set({ kind: 'none' });
    let address: string;
    try {
      address = serverAddress(parseServerUrl(raw));
    } catch (error) {
      return this.set({ kind: 'failed', address: raw, code: 'bad-url', message: `orchestrate.server.url: ${(error as Error).message}` });
    }
    if (!vscode.workspace.isTrusted) return this.set({ kind: 'restricted', address });
    const token = await this.secrets.get(tokenKey(address));
    if (generation !== this.generation) return false;
    this.client = new ServeClient(address, { token });
    this.set({ kind: 'connecting', address });
    return true;
  }

  /** Lists the runs now (the view's refresh); waits for a listing already under way instead of starting another. */
  refresh(): Promise<void> {
    if (!this.client) return Promise.resolve();
    clearTimeout(this.timer);
    return this.poll();
  }

  private poll(): Promise<void> {
    this.polling ??= this.list().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async list(): Promise<void> {
    const client = this.client;
    const generation = this.generation;
    if (!client) return;
    let next = POLL_MS;
    try {
      const page = await client.listRuns({ limit: LISTED_RUNS });
      if (generation !== this.generation) return;
      const runs = page.runs.map((state) => serverRunSummary(client.address, state));
      const fingerprint = JSON.stringify(runs.map((run) => [run.id, run.server.status, run.durationMs, run.tokens]));
      if (this.current.kind !== 'connected' || fingerprint !== this.fingerprint) {
        this.fingerprint = fingerprint;
        this.set({ kind: 'connected', address: client.address, runs });
      }
    } catch (error) {
      if (generation !== this.generation) return;
      const failure = error instanceof ServeClientError ? error : new ServeClientError('unreachable', `cannot reach ${client.address}: ${String(error)}`);
      next = RETRY_MS;
      if (this.current.kind !== 'failed' || this.current.message !== failure.message) {
        this.log?.warn(`server: ${failure.message}`);
        this.fingerprint = '';
        this.set({ kind: 'failed', address: client.address, code: failure.code, message: failure.message });
      }
    }
    if (generation === this.generation) this.timer = setTimeout(() => void this.poll(), next);
  }

  private set(status: ServerStatus): false {
    this.current = status;
    this.changed.fire();
    return false;
  }

  // ─── Runs by location, for the panel and the commands ─────────────────────

  owns(location: string): boolean {
    return parseServerRunLocation(location) !== undefined;
  }

  /** The client for a location on the connected server; an error a person can act on otherwise. */
  async clientFor(location: string): Promise<{ client: ServeClient; id: string }> {
    await this.settingUp;
    const parsed = parseServerRunLocation(location);
    if (!parsed) throw new Error(`${location} is not a run on a server`);
    if (!vscode.workspace.isTrusted) throw new Error('runs on a server are not shown in Restricted Mode; trust this workspace to connect');
    if (!this.client || this.client.address !== parsed.address) {
      throw new Error(`not connected to ${parsed.address}; run Orchestrate: Connect to Server… to see its runs`);
    }
    return { client: this.client, id: parsed.id };
  }

  async load(location: string): Promise<ServerRun> {
    const { client, id } = await this.clientFor(location);
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    return loadServerRun(client, id, folders);
  }

  async follow(location: string, after: number, onEvent: (event: RunEvent) => void, signal: AbortSignal): Promise<void> {
    const { client, id } = await this.clientFor(location);
    let last = after;
    let ended = false;
    // A stream cut short (the server restarted, a proxy timed out) is picked up again where it stopped.
    for (let failures = 0; !ended && !signal.aborted && failures < 3; ) {
      try {
        last = await client.follow(id, {
          after: last,
          signal,
          onEvent: (event) => {
            if (event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled') ended = true;
            onEvent(event);
          },
        });
        if (!ended && !signal.aborted) ended = !['running', 'paused', 'queued'].includes((await client.run(id, signal)).status);
      } catch (error) {
        failures++;
        this.log?.warn(`server: following run ${id}: ${(error as Error).message}`);
      }
    }
    if (ended) void this.refresh();
  }

  async cancel(location: string): Promise<boolean> {
    const { client, id } = await this.clientFor(location);
    const cancelled = await client.cancel(id);
    void this.refresh();
    return cancelled;
  }

  async resume(location: string): Promise<string> {
    const { client, id } = await this.clientFor(location);
    const resumed = await client.resume(id);
    void this.refresh();
    return client.runUrl(resumed.id);
  }

  dispose(): void {
    this.generation++;
    clearTimeout(this.timer);
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
