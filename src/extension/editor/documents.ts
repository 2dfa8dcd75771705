/**
 * Which documents are workflows (the `orchestrate.workflowGlobs` setting, as a
 * DocumentSelector with `pattern`), and one analysis per document version, shared by
 * every editor feature.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CachedWorkflowFiles, IncrementalChecker, readTextAsync, readTextSync, type WorkflowFiles } from '../../engine';
import { parseWorkflow, type ParsedWorkflow } from '../language/parsed';
import { settings } from '../settings';

export class WorkflowDocuments implements vscode.Disposable {
  private readonly cache = new Map<string, { version: number; parsed: ParsedWorkflow; checker: IncrementalChecker }>();
  private readonly changeSelector = new vscode.EventEmitter<void>();
  /** Fires when the globs change: providers register again with the new selector. */
  readonly onDidChangeSelector = this.changeSelector.event;
  private currentSelector: vscode.DocumentFilter[];
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly changeFiles = new vscode.EventEmitter<void>();
  /** Fires when a file that `uses:` names has been read or changed on disk: check again. */
  readonly onDidChangeFiles = this.changeFiles.event;
  /** Sub-workflows, read off the extension host's hot path and remembered until they change. */
  private readonly files = new CachedWorkflowFiles(readTextAsync, () => this.filesChanged());

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
      this.changeFiles,
    );
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml}');
    const forget = (uri: vscode.Uri) => {
      this.files.forget(uri.fsPath);
      this.filesChanged();
    };
    this.subscriptions.push(watcher, watcher.onDidCreate(forget), watcher.onDidChange(forget), watcher.onDidDelete(forget));
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
    const parsed = analyze(document.getText(), workflowFileName(document.uri), checker, this.files);
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

  private filesChanged(): void {
    // Every analysis may have asked about the file: the next `get` makes a new one.
    for (const entry of this.cache.values()) entry.version = Number.NaN;
    this.changeFiles.fire();
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

/**
 * Checks `uses:` paths against the disk when the file is on disk. Off the hot path (a
 * closed file, a run about to start) the files are read at once.
 */
export function analyze(text: string, file: string, checker?: IncrementalChecker, files: WorkflowFiles = new CachedWorkflowFiles(readTextSync)): ParsedWorkflow {
  const onDisk = path.isAbsolute(file);
  return parseWorkflow(text, file, onDisk ? { files } : {}, checker);
}
