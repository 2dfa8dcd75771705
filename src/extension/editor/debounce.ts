/**
 * One pending check per document while a person types: each edit restarts its timer, and
 * a document closed meanwhile is not checked. Both diagnostics collections use it.
 */
import type * as vscode from 'vscode';

export const DEBOUNCE_MS = 150;

export class PerDocumentDebounce implements vscode.Disposable {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly run: (document: vscode.TextDocument) => void) {}

  schedule(document: vscode.TextDocument): void {
    this.cancel(document.uri);
    const key = document.uri.toString();
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (!document.isClosed) this.run(document);
      }, DEBOUNCE_MS),
    );
  }

  cancel(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
