/**
 * *Orchestrate: Connect to Server…* and *Disconnect from Server*. Connecting asks
 * for the address, tries it, and asks for a bearer token only when the server wants
 * one; the token goes into the secret storage, the address into the
 * `orchestrate.server.url` user setting.
 */
import * as vscode from 'vscode';
import { parseServerUrl, ServeClient, ServeClientError, serverAddress } from '../../serve/client';
import { configuredAddress, SERVER_URL_SETTING, tokenKey, type ServerConnection } from './connection';

/** Arguments a caller (a test, a link) may give instead of being asked. */
interface ConnectArgs {
  url?: string;
  token?: string;
}

function connectArgs(arg: unknown): ConnectArgs {
  if (typeof arg === 'string') return { url: arg };
  if (typeof arg !== 'object' || arg === null) return {};
  const { url, token } = arg as Record<string, unknown>;
  return { url: typeof url === 'string' ? url : undefined, token: typeof token === 'string' ? token : undefined };
}

function validateAddress(text: string): string | undefined {
  try {
    parseServerUrl(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Tries the server with this token; undefined when it answers, else the failure. */
async function probe(address: string, token: string | undefined): Promise<ServeClientError | undefined> {
  try {
    await new ServeClient(address, { token }).listRuns({ limit: 1 });
    return undefined;
  } catch (error) {
    return error instanceof ServeClientError ? error : new ServeClientError('unreachable', (error as Error).message);
  }
}

async function connect(arg: unknown, connection: ServerConnection, secrets: vscode.SecretStorage): Promise<boolean> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showInformationMessage('Orchestrate: connecting to a server needs a trusted workspace (in Restricted Mode you can author workflows only).');
    return false;
  }
  const given = connectArgs(arg);
  const url =
    given.url ??
    (await vscode.window.showInputBox({
      title: 'Connect to an Orchestrate server',
      prompt: 'The address `orchestrate serve` printed',
      placeHolder: 'http://127.0.0.1:8787',
      value: configuredAddress() ?? 'http://127.0.0.1:8787',
      ignoreFocusOut: true,
      validateInput: validateAddress,
    }));
  if (url === undefined) return false;
  const problem = validateAddress(url);
  if (problem) {
    void vscode.window.showErrorMessage(`Orchestrate: ${problem}`);
    return false;
  }
  const address = serverAddress(parseServerUrl(url));
  let token = given.token ?? (await secrets.get(tokenKey(address)));
  let failure = await probe(address, token);
  if (failure?.code === 'unauthorized' && given.token === undefined) {
    token = await vscode.window.showInputBox({
      title: `Token for ${address}`,
      prompt: 'This server needs a bearer token (the ORCHESTRATE_SERVE_TOKEN it was started with). It is kept in the editor’s secret storage.',
      password: true,
      ignoreFocusOut: true,
    });
    if (token === undefined) return false;
    failure = await probe(address, token);
  }
  if (failure?.code === 'unauthorized') {
    void vscode.window.showErrorMessage(`Orchestrate: ${failure.message}`);
    return false;
  }
  if (token) await secrets.store(tokenKey(address), token);
  await vscode.workspace.getConfiguration('orchestrate').update(SERVER_URL_SETTING, address, vscode.ConfigurationTarget.Global);
  // The setting's change reloads the connection; this covers the same address set again (no change event).
  await connection.reload();
  // A server that is down is saved anyway: the runs view says so on one row until it answers.
  if (failure) void vscode.window.showWarningMessage(`Orchestrate: saved ${address}, but ${failure.message}; the runs view lists its runs once it answers.`);
  return true;
}

async function disconnect(connection: ServerConnection, secrets: vscode.SecretStorage): Promise<void> {
  const raw = configuredAddress();
  if (raw) {
    try {
      await secrets.delete(tokenKey(serverAddress(parseServerUrl(raw))));
    } catch {
      // A malformed address has no token to forget.
    }
  }
  const config = vscode.workspace.getConfiguration('orchestrate');
  const inspected = config.inspect<string>(SERVER_URL_SETTING);
  if (inspected?.globalValue !== undefined) await config.update(SERVER_URL_SETTING, undefined, vscode.ConfigurationTarget.Global);
  if (inspected?.workspaceValue !== undefined) await config.update(SERVER_URL_SETTING, undefined, vscode.ConfigurationTarget.Workspace);
  await connection.reload();
}

export function registerServerCommands(connection: ServerConnection, secrets: vscode.SecretStorage): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('orchestrate.server.connect', (arg?: unknown) => connect(arg, connection, secrets)),
    vscode.commands.registerCommand('orchestrate.server.disconnect', () => disconnect(connection, secrets)),
  );
}
