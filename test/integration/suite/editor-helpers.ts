// Helpers for the editor suites: fixture files in the (temporary) workspace, waiting on
// events with a deadline (never a fixed sleep), and screenshots taken by the launcher.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SCREENSHOT_REQUEST_PREFIX, type ScreenshotRequest } from '../common';
import type { OrchestrateApi } from '../../../src/extension/extension';

export const EXTENSION_ID = 'orchestrate.orchestrate';

export async function activateApi(): Promise<OrchestrateApi> {
  const extension = vscode.extensions.getExtension<OrchestrateApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded`);
  const api = await extension.activate();
  assert.ok(api?.runs, 'activate() returned no API');
  return api;
}

export function workspaceFolder(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return folder.uri;
}

/** Writes a fixture into the workspace; `cleanup()` removes every one written. */
export class Fixtures {
  private readonly written: vscode.Uri[] = [];

  async write(name: string, text: string): Promise<vscode.Uri> {
    const uri = vscode.Uri.joinPath(workspaceFolder(), name);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    this.written.push(uri);
    return uri;
  }

  /** A file a command created, removed with the fixtures. */
  track(uri: vscode.Uri): void {
    this.written.push(uri);
  }

  async cleanup(): Promise<void> {
    // Edited fixtures are saved first, so closing them never waits on a "save changes?" prompt.
    await vscode.workspace.saveAll(false);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const uri of this.written) await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
    this.written.length = 0;
  }
}

/** Text with `¦` at a cursor → the text without it, and where the cursor was. */
export function withCursor(text: string): { text: string; line: number; character: number } {
  const at = text.indexOf('¦');
  assert.ok(at >= 0, 'no ¦ in the text');
  const before = text.slice(0, at);
  const line = before.split('\n').length - 1;
  return { text: before + text.slice(at + 1), line, character: at - (before.lastIndexOf('\n') + 1) };
}

/** Resolves with the first event that satisfies `predicate`; rejects after `timeoutMs` saying what it waited for. */
export function waitForEvent<T>(event: vscode.Event<T>, predicate: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const subscription = event((value) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(value);
    });
  });
}

/**
 * The document's Orchestrate diagnostics once `predicate` holds: at once when it already
 * does, else at the next diagnostics change that makes it hold.
 */
export async function diagnosticsWhen(uri: vscode.Uri, predicate: (diagnostics: vscode.Diagnostic[]) => boolean, what: string): Promise<vscode.Diagnostic[]> {
  const current = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'orchestrate');
  if (predicate(current())) return current();
  await waitForEvent(vscode.languages.onDidChangeDiagnostics, (e) => e.uris.some((u) => u.toString() === uri.toString()) && predicate(current()), what);
  return current();
}

export async function codeLenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  return (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
}

/** Polls a condition that has no event (a file written by another process), with a deadline. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Asks the launcher (which owns the browser page) for a screenshot and waits until it is
 * written to test-results/screenshots/<name>.png. Launchers without the hook (the desktop
 * one) never write it: then this gives up quietly after a while.
 */
export async function screenshot(name: string, waitFor?: string | string[]): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  if (!extension) return undefined;
  const file = path.join(extension.extensionPath, 'test-results', 'screenshots', `${name}.png`);
  fs.rmSync(file, { force: true });
  // Toasts from earlier tests would cover the editor.
  await vscode.commands.executeCommand('notifications.clearAll');
  const request: ScreenshotRequest = { name, ...(waitFor ? { waitFor } : {}) };
  console.log(`${SCREENSHOT_REQUEST_PREFIX} ${JSON.stringify(request)}`);
  try {
    await until(() => fs.existsSync(file), `the screenshot ${name}`, 25_000);
    return file;
  } catch {
    console.log(`[orchestrate-tests] no screenshot ${name}: this launcher does not take them`);
    return undefined;
  }
}
