/**
 * The shared history: the connection to an `orchestrate serve` server and its
 * commands. The runs view lists the server's runs; the run panel opens them.
 */
import * as vscode from 'vscode';
import { registerServerCommands } from './commands';
import { ServerConnection } from './connection';

export { ServerConnection };
export type { ServerRunSource } from './server-run-content';

export function registerServer(context: vscode.ExtensionContext, log?: vscode.LogOutputChannel): ServerConnection {
  const connection = new ServerConnection(context.secrets, log);
  context.subscriptions.push(connection, registerServerCommands(connection, context.secrets));
  void connection.reload();
  return connection;
}
