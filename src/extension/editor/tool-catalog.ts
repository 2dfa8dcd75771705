/**
 * The editor's tool catalog (src/authoring/tool-catalog.ts) in VS Code: built only in a
 * trusted workspace (listing a stdio server starts it, which runs code), fed with each
 * folder's `.vscode/mcp.json` and `.mcp.json` (read again when they change), refreshed
 * by *Orchestrate: Refresh Tool List*, and closed — every server stopped — with the
 * extension. Variables come from the extension host's environment, as for a run.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ToolCatalog } from '../../authoring/tool-catalog';
import type { ToolCatalogView } from '../../authoring/tool-references';
import type { Workflow } from '../../engine';
import { EDITOR_SOURCES, loadWorkspaceServers, serverLookup, type ServerRegistry } from '../../engine/tools';

export const REFRESH_TOOLS_COMMAND = 'orchestrate.tools.refresh';

/** The workspace files that declare servers, relative to a folder. */
const SERVER_FILES = '{.vscode/mcp.json,.mcp.json}';

export class EditorToolCatalog implements vscode.Disposable {
  private catalog: ToolCatalog | undefined;
  /** Per workspace folder: its server files, read once and again when they change. */
  private readonly registries = new Map<string, ServerRegistry | Promise<void>>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when some server's tools arrived, failed, or were forgotten: check again. */
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {
    if (vscode.workspace.isTrusted) this.catalog = this.createCatalog();
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${SERVER_FILES}`);
    const reread = () => this.serverFilesChanged();
    this.subscriptions.push(
      this.changed,
      watcher,
      watcher.onDidCreate(reread),
      watcher.onDidChange(reread),
      watcher.onDidDelete(reread),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.catalog ??= this.createCatalog();
        this.changed.fire();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(reread),
      // Saved: the workflow's own servers may start now.
      vscode.workspace.onDidSaveTextDocument(() => this.changed.fire()),
      vscode.commands.registerCommand(REFRESH_TOOLS_COMMAND, () => this.refresh()),
    );
  }

  /** What the workflow in `document` can know of its servers' tools; nothing at all in restricted mode. */
  viewFor(document: vscode.TextDocument, workflow: Workflow | undefined): ToolCatalogView {
    const catalog = this.catalog;
    if (!catalog || !workflow?.mcp) return () => undefined;
    const folder = vscode.workspace.getWorkspaceFolder(document.uri)?.uri.fsPath ?? path.dirname(document.uri.fsPath);
    const registry = this.registry(folder);
    const own = workflow.mcp;
    // A declaration being typed is not started at every keystroke (`npx -y @mod…` would
    // fetch and run whatever package the half-typed name is): a workflow's own servers
    // start from the file as saved; lists already made are used meanwhile.
    const saved = !document.isDirty;
    const view = catalog.view(serverLookup(own, registry ?? emptyRegistry()), folder, { start: (declaration) => saved || declaration.origin.kind !== 'workflow' });
    if (registry) return view;
    // The server files are still being read: a name only they configure is not known yet.
    return (server) => (own.declarations.has(server) ? view(server) : { state: 'pending' });
  }

  /** Resolves once no server is being listed (tests wait on this rather than on time). */
  async settled(): Promise<void> {
    await Promise.all([...this.registries.values()].filter((r): r is Promise<void> => r instanceof Promise));
    await this.catalog?.settled();
  }

  /** Forgets every list and the server files; what is open is checked again. */
  refresh(): void {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showInformationMessage('Orchestrate lists MCP tools only in a trusted workspace: listing a server starts it.');
      return;
    }
    this.registries.clear();
    this.catalog?.refresh();
    this.changed.fire();
  }

  private registry(folder: string): ServerRegistry | undefined {
    const known = this.registries.get(folder);
    if (known !== undefined) return known instanceof Promise ? undefined : known;
    const loading = loadWorkspaceServers(folder, EDITOR_SOURCES).then(
      (registry) => {
        if (this.registries.get(folder) !== loading) return;
        this.registries.set(folder, registry);
        for (const problem of registry.problems) this.log.warn(`[tools] ${problem.message}`);
        this.changed.fire();
      },
      (error: unknown) => {
        this.log.error(`[tools] could not read the MCP server files of ${folder}: ${error instanceof Error ? error.message : String(error)}`);
        this.registries.set(folder, emptyRegistry());
        this.changed.fire();
      },
    );
    this.registries.set(folder, loading);
    return undefined;
  }

  private serverFilesChanged(): void {
    this.registries.clear();
    // A server that failed may work now (a variable added, a path fixed); the others keep their lists.
    this.catalog?.retryUnreachable();
    this.changed.fire();
  }

  private createCatalog(): ToolCatalog {
    return new ToolCatalog({
      env: process.env,
      onServerLog: (server, line) => this.log.debug(`[tools] [${server}] ${line}`),
      onDidChange: () => this.changed.fire(),
    });
  }

  dispose(): void {
    // Stops every server it started; the host does not wait for the last ones to exit.
    void this.catalog?.close();
    this.catalog = undefined;
    this.subscriptions.forEach((s) => s.dispose());
  }
}

function emptyRegistry(): ServerRegistry {
  return { servers: new Map(), problems: [] };
}
