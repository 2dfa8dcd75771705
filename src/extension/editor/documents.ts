/**
 * Which documents are workflows (the `orchestrate.workflowGlobs` setting, as a
 * DocumentSelector with `pattern`), and one analysis per document version, shared by
 * every editor feature.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { IncrementalChecker } from '../../engine';
import { parseWorkflow, type ParsedWorkflow } from '../language/parsed';
import { settings } from '../settings';

export class WorkflowDocuments implements vscode.Disposable {
  private readonly cache = new Map<string, { version: number; parsed: ParsedWorkflow; checker: IncrementalChecker }>();
  private readonly changeSelector = new vscode.EventEmitter<void>();
  /** Fires when the globs change: providers register again with the new selector. */
  readonly onDidChangeSelector = this.changeSelector.event;
  private currentSelector: vscode.DocumentFilter[];
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.currentSelector = selectorFor(settings.workflowGlobs());
    this.subscriptions.push(
      this.changeSelector,
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration('orchestrate.workflowGlobs')) return;
        this.currentSelector = selectorFor(settings.workflowGlobs());
        this.changeSelector.fire();
      }),
      vscode.workspace.onDidCloseTextDocument((document) => this.cache.delete(document.uri.toString())),
    );
  }

  get selector(): vscode.DocumentSelector {
    return this.currentSelector;
  }

  isWorkflow(document: vscode.TextDocument): boolean {
    return vscode.languages.match(this.currentSelector, document) > 0;
  }

  /** The analysis of the document as it is now (made at most once per version). */
  get(document: vscode.TextDocument): ParsedWorkflow {
    const key = document.uri.toString();
    const cached = this.cache.get(key);
    if (cached && cached.version === document.version) return cached.parsed;
    const checker = cached?.checker ?? new IncrementalChecker();
    const parsed = analyze(document.getText(), workflowFileName(document.uri), checker);
    this.cache.set(key, { version: document.version, parsed, checker });
    return parsed;
  }

  /**
   * The last analysis made, whatever its version: completion answers from it at once
   * (names and schemas rarely change between keystrokes) rather than analyzing the file
   * on every key. Analyzes when there is none yet.
   */
  latest(document: vscode.TextDocument): ParsedWorkflow {
    return this.cache.get(document.uri.toString())?.parsed ?? this.get(document);
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.cache.clear();
  }
}

/**
 * Files on disk only: the same path seen through `git:` (a diff's left side) or another
 * scheme would otherwise get a second set of problems and lenses that cannot run.
 */
export function selectorFor(globs: readonly string[]): vscode.DocumentFilter[] {
  return globs.map((pattern) => ({ language: 'yaml', scheme: 'file', pattern }));
}

/** The name a workflow is known by in problems, traces and the runs index: its path on disk. */
export function workflowFileName(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}

/** Checks `uses:` paths against the disk when the file is on disk. */
export function analyze(text: string, file: string, checker?: IncrementalChecker): ParsedWorkflow {
  const onDisk = path.isAbsolute(file);
  return parseWorkflow(text, file, onDisk ? { workflowExists: (uses, from) => existsSync(path.resolve(path.dirname(from), uses)) } : {}, checker);
}
