/**
 * The Test Explorer's tree: a workflow file, its `tests:` cases at their lines, and
 * a dataset case's rows grouped under it (from its `rows:` file, or a dataset beside
 * the workflow with the same base name: `x.workflow.yaml` + `x.dataset.jsonl`).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hasErrors } from '../../engine';
import { parseTests, readRows, type TestEntry } from '../../engine/eval';
import { readWorkflow } from '../runs/workflow-source';

/** What each tree item stands for. */
export type TestNode =
  | { kind: 'file'; uri: vscode.Uri }
  | { kind: 'entry'; uri: vscode.Uri; name: string; rowsFile?: string }
  | { kind: 'row'; uri: vscode.Uri; name: string; rowsFile: string; index: number };

/** Rows shown under a dataset case; a larger dataset runs whole from its case item. */
export const MAX_LISTED_ROWS = 1000;

const DATASET_SUFFIXES = ['.dataset.jsonl', '.dataset.csv', '.dataset.yaml', '.dataset.yml'];

export class TestTree {
  readonly nodes = new WeakMap<vscode.TestItem, TestNode>();

  constructor(private readonly controller: vscode.TestController) {}

  /** Reads a workflow file's cases into the tree (and removes its item when it has none). */
  async refreshFile(uri: vscode.Uri): Promise<void> {
    const id = uri.toString();
    let parsed: Awaited<ReturnType<typeof readWorkflow>>;
    try {
      parsed = await readWorkflow(uri);
    } catch {
      this.controller.items.delete(id);
      return;
    }
    const workflow = parsed.workflow;
    const suite = parseTests(parsed.text, uri.fsPath, workflow);
    if (suite.entries.length === 0 && suite.problems.length === 0) {
      this.controller.items.delete(id);
      return;
    }
    const file = this.controller.items.get(id) ?? this.controller.createTestItem(id, workflow?.name ?? path.basename(uri.fsPath), uri);
    file.label = workflow?.name ?? path.basename(uri.fsPath);
    this.nodes.set(file, { kind: 'file', uri });
    const problems = [...suite.problems, ...(workflow && hasErrors(parsed.problems) ? parsed.problems.filter((p) => p.severity === 'error') : [])];
    file.error = problems.length > 0 ? new vscode.MarkdownString(problems.map((p) => `line ${p.range.start.line}: ${p.message}`).join('\n\n')) : undefined;
    file.children.replace(suite.entries.map((entry) => this.entryItem(uri, entry)));
    this.controller.items.add(file);
  }

  remove(uri: vscode.Uri): void {
    this.controller.items.delete(uri.toString());
  }

  private entryItem(uri: vscode.Uri, entry: TestEntry): vscode.TestItem {
    const item = this.controller.createTestItem(`${uri.toString()}#${entry.name}`, entry.name, uri);
    item.range = new vscode.Range(entry.range.start.line - 1, entry.range.start.column - 1, entry.range.end.line - 1, entry.range.end.column - 1);
    const rowsFile = entry.kind === 'dataset' ? datasetFor(uri, entry.rows) : undefined;
    item.description = entry.kind === 'dataset' ? (rowsFile ? path.basename(rowsFile) : 'no rows: give it `rows:` or a dataset beside the file') : `${entry.expect.length} expectation${entry.expect.length === 1 ? '' : 's'}`;
    this.nodes.set(item, { kind: 'entry', uri, name: entry.name, ...(rowsFile ? { rowsFile } : {}) });
    // Rows are read when the person expands the case (resolveHandler), not before.
    item.canResolveChildren = rowsFile !== undefined;
    return item;
  }

  /** Lists a dataset case's rows under it. */
  async resolveRows(item: vscode.TestItem): Promise<void> {
    const node = this.nodes.get(item);
    if (node?.kind !== 'entry' || !node.rowsFile) return;
    const rows: vscode.TestItem[] = [];
    try {
      for await (const row of readRows(node.rowsFile)) {
        if (row.index >= MAX_LISTED_ROWS) {
          item.description = `${path.basename(node.rowsFile)} · first ${MAX_LISTED_ROWS} rows listed; run the case for all`;
          break;
        }
        const child = this.controller.createTestItem(`${item.id}#${row.index}`, `row ${row.index + 1}`, vscode.Uri.file(node.rowsFile));
        child.description = preview(row.values);
        child.range = new vscode.Range(Math.max(0, row.line - 1), 0, Math.max(0, row.line - 1), 0);
        this.nodes.set(child, { kind: 'row', uri: node.uri, name: node.name, rowsFile: node.rowsFile, index: row.index });
        rows.push(child);
      }
      item.error = undefined;
    } catch (error) {
      item.error = (error as Error).message;
    }
    item.children.replace(rows);
  }
}

/** The case's `rows:` file, else a dataset beside the workflow with its base name. */
export function datasetFor(workflow: vscode.Uri, rows: string | undefined): string | undefined {
  const dir = path.dirname(workflow.fsPath);
  if (rows) return path.resolve(dir, rows);
  const base = path.basename(workflow.fsPath).replace(/\.workflow\.ya?ml$/i, '');
  return DATASET_SUFFIXES.map((suffix) => path.join(dir, `${base}${suffix}`)).find((file) => existsSync(file));
}

function preview(values: Record<string, unknown>): string {
  const text = Object.entries(values)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' · ');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
