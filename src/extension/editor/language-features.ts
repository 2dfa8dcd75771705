/**
 * Thin adapters from the pure functions in ../language to VS Code's provider APIs:
 * offsets become positions and plain results become VS Code objects, nothing more.
 * They are registered for the workflow selector and registered again when the globs change.
 */
import * as vscode from 'vscode';
import type { ToolCatalogView } from '../../authoring/tool-references';
import type { StepKind, Workflow } from '../../engine';
import { completionsAt, type Completion, type CompletionKind } from '../language/completion';
import { referenceHoverAt, scheduleHoverAt, schemaHoverAt, type LastResult } from '../language/hover';
import { definitionAt, prepareRename, referencesAt, renameEdits } from '../language/navigation';
import { FIXABLE_CODES, quickFixFor } from '../language/quick-fixes';
import { stepSymbols, type StepSymbol } from '../language/symbols';
import { TOOL_FIXABLE_CODES, toolQuickFixAt } from '../language/tool-fixes';
import { toolHoverAt } from '../language/tool-hover';
import { DIAGNOSTIC_SOURCE } from './diagnostics';
import type { WorkflowDocuments } from './documents';
import type { RedHatYaml } from './red-hat-yaml';

export interface LanguageFeatureDeps {
  documents: WorkflowDocuments;
  redHat: RedHatYaml;
  /** A step's last result from this window's runs of the file, for hovers. */
  lastResult: (file: vscode.Uri, stepId: string) => LastResult | undefined;
  /** Provider names from the settings, for `provider:` completion. */
  providerNames: () => string[];
  /** What the workflow in a document knows of its MCP servers' tools (nothing in restricted mode). */
  tools?: (document: vscode.TextDocument, workflow: Workflow | undefined) => ToolCatalogView;
}

export const TRIGGER_CHARACTERS = ['.', '{', ' ', ':'];

/** Registers every provider; registers again with the new selector when the globs change. */
export function registerLanguageFeatures(deps: LanguageFeatureDeps): vscode.Disposable {
  let registrations = register(deps);
  const onChange = deps.documents.onDidChangeSelector(() => {
    registrations.dispose();
    registrations = register(deps);
  });
  return new vscode.Disposable(() => {
    onChange.dispose();
    registrations.dispose();
  });
}

function register(deps: LanguageFeatureDeps): vscode.Disposable {
  const { documents } = deps;
  const selector = documents.selector;
  const offset = (document: vscode.TextDocument, position: vscode.Position) => document.offsetAt(position);
  const range = (document: vscode.TextDocument, start: number, end: number) => new vscode.Range(document.positionAt(start), document.positionAt(end));

  const completion: vscode.CompletionItemProvider = {
    provideCompletionItems(document, position) {
      const text = document.getText();
      const model = documents.latest(document);
      const tools = deps.tools?.(document, model.workflow);
      const items = completionsAt(text, offset(document, position), model, { schemaItems: deps.redHat.schemaItems, providerNames: deps.providerNames(), tools });
      return items.map((item) => toCompletionItem(item, range(document, item.start, item.end)));
    },
  };

  const hover: vscode.HoverProvider = {
    provideHover(document, position) {
      const at = offset(document, position);
      const parsed = documents.get(document);
      const tools = deps.tools?.(document, parsed.workflow);
      const result = (tools && toolHoverAt(parsed, at, tools)) ?? referenceHoverAt(parsed, at, (stepId) => deps.lastResult(document.uri, stepId)) ?? scheduleHoverAt(parsed.text, at, Date.now()) ?? (deps.redHat.schemaItems ? schemaHoverAt(parsed.text, at) : undefined);
      if (!result) return undefined;
      const markdown = new vscode.MarkdownString(result.markdown);
      return new vscode.Hover(markdown, range(document, result.offset, result.endOffset));
    },
  };

  const definition: vscode.DefinitionProvider = {
    provideDefinition(document, position) {
      const target = definitionAt(documents.get(document), offset(document, position));
      return target ? new vscode.Location(document.uri, range(document, target.offset, target.endOffset)) : undefined;
    },
  };

  const references: vscode.ReferenceProvider = {
    provideReferences(document, position, context) {
      return referencesAt(documents.get(document), offset(document, position), context.includeDeclaration).map(
        (o) => new vscode.Location(document.uri, range(document, o.offset, o.endOffset)),
      );
    },
  };

  const rename: vscode.RenameProvider = {
    prepareRename(document, position) {
      const prepared = prepareRename(documents.get(document), offset(document, position));
      if ('error' in prepared) throw new Error(prepared.error);
      return { range: range(document, prepared.span.offset, prepared.span.endOffset), placeholder: prepared.name };
    },
    provideRenameEdits(document, position, newName) {
      const edits = renameEdits(documents.get(document), offset(document, position), newName);
      if ('error' in edits) throw new Error(edits.error);
      const edit = new vscode.WorkspaceEdit();
      for (const e of edits) edit.replace(document.uri, range(document, e.offset, e.endOffset), e.newText);
      return edit;
    },
  };

  const symbols: vscode.DocumentSymbolProvider = {
    provideDocumentSymbols(document) {
      const toSymbol = (symbol: StepSymbol): vscode.DocumentSymbol => {
        const result = new vscode.DocumentSymbol(symbol.name, symbol.detail, SYMBOL_KIND[symbol.kind], range(document, symbol.offset, symbol.endOffset), range(document, symbol.selectionOffset, symbol.selectionEnd));
        result.children = symbol.children.map(toSymbol);
        return result;
      };
      return stepSymbols(documents.get(document).workflow).map(toSymbol);
    },
  };

  const codeActions: vscode.CodeActionProvider = {
    provideCodeActions(document, _range, context) {
      const parsed = documents.get(document);
      const actions: vscode.CodeAction[] = [];
      for (const diagnostic of context.diagnostics) {
        if (diagnostic.source !== DIAGNOSTIC_SOURCE || typeof diagnostic.code !== 'string') continue;
        const start = document.offsetAt(diagnostic.range.start);
        const tools = TOOL_FIXABLE_CODES.has(diagnostic.code) && parsed.workflow ? deps.tools?.(document, parsed.workflow) : undefined;
        if (!tools && !(FIXABLE_CODES as ReadonlySet<string>).has(diagnostic.code)) continue;
        // Diagnostics come back from the editor as copies: find the problem they were made from by code and start.
        const problem = parsed.problems.find((p) => p.code === diagnostic.code && p.range.offset === start);
        const fix = tools ? toolQuickFixAt(parsed.workflow!, parsed.text, tools, diagnostic.code, start) : problem && quickFixFor(problem, parsed.text);
        if (!fix) continue;
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(document.uri, range(document, fix.offset, fix.endOffset), fix.newText);
        action.diagnostics = [diagnostic];
        action.isPreferred = true;
        actions.push(action);
      }
      return actions;
    },
  };

  return vscode.Disposable.from(
    vscode.languages.registerCompletionItemProvider(selector, completion, ...TRIGGER_CHARACTERS),
    vscode.languages.registerHoverProvider(selector, hover),
    vscode.languages.registerDefinitionProvider(selector, definition),
    vscode.languages.registerReferenceProvider(selector, references),
    vscode.languages.registerRenameProvider(selector, rename),
    vscode.languages.registerDocumentSymbolProvider(selector, symbols, { label: 'Workflow steps' }),
    vscode.languages.registerCodeActionsProvider(selector, codeActions, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
  );
}

const SYMBOL_KIND: Record<StepKind, vscode.SymbolKind> = {
  prompt: vscode.SymbolKind.Method,
  parallel: vscode.SymbolKind.Namespace,
  switch: vscode.SymbolKind.Enum,
  input: vscode.SymbolKind.Field,
  set: vscode.SymbolKind.Variable,
  workflow: vscode.SymbolKind.Module,
  tool: vscode.SymbolKind.Function,
  fail: vscode.SymbolKind.Event,
};

const COMPLETION_KIND: Record<CompletionKind, vscode.CompletionItemKind> = {
  key: vscode.CompletionItemKind.Property,
  value: vscode.CompletionItemKind.EnumMember,
  step: vscode.CompletionItemKind.Reference,
  input: vscode.CompletionItemKind.Variable,
  field: vscode.CompletionItemKind.Field,
  variable: vscode.CompletionItemKind.Variable,
  worker: vscode.CompletionItemKind.Class,
  provider: vscode.CompletionItemKind.Module,
  keyword: vscode.CompletionItemKind.Keyword,
  tool: vscode.CompletionItemKind.Function,
};

function toCompletionItem(completion: Completion, range: vscode.Range): vscode.CompletionItem {
  const item = new vscode.CompletionItem(completion.label, COMPLETION_KIND[completion.kind]);
  item.range = range;
  if (completion.detail) item.detail = completion.detail;
  if (completion.documentation) item.documentation = new vscode.MarkdownString(completion.documentation);
  if (completion.insertText !== undefined) item.insertText = completion.snippet ? new vscode.SnippetString(completion.insertText) : completion.insertText;
  if (completion.sortText) item.sortText = completion.sortText;
  return item;
}
