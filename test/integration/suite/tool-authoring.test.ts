// Authoring tool steps in real VS Code against the real server-everything (from the
// repository's node_modules, over stdio): the problems the catalog finds, completion
// of tool names and argument keys, and hover with the tool's description.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateApi, diagnosticsWhen, EXTENSION_ID, Fixtures, withCursor } from './editor-helpers';

function workflowText(): string {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension);
  const server = path.join(extension.extensionPath, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
  return `name: Tool authoring
mcp:
  everything:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(server)}, stdio]
steps:
  - id: sum
    tool: everything.get-sum
    with:
      a: 1
      ¦
  - id: shout
    tool: everything.ech
    with: { message: hi }
  - id: ask
    prompt: Add two numbers.
    tools: [everything.get-sum, everything.echo]
`;
}

function texts(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

function labelOf(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}

describe('Tool authoring against server-everything', function () {
  // Starting the server (node) and listing its tools, once, in a loaded machine.
  this.timeout(60_000);
  const fixtures = new Fixtures();
  let uri: vscode.Uri;
  let cursor: vscode.Position;
  let text: string;

  before(async () => {
    const api = await activateApi();
    const marked = withCursor(workflowText());
    text = marked.text;
    cursor = new vscode.Position(marked.line, marked.character);
    uri = await fixtures.write('tool-authoring.workflow.yaml', text);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await diagnosticsWhen(uri, (ds) => ds.some((d) => d.code === 'unknown-tool'), 'the unknown tool found once server-everything listed its tools');
    await api.tools.settled();
  });

  after(() => fixtures.cleanup());

  function positionOf(needle: string, into = 0): vscode.Position {
    const at = text.indexOf(needle);
    assert.ok(at >= 0, needle);
    const before = text.slice(0, at + into);
    return new vscode.Position(before.split('\n').length - 1, before.length - before.lastIndexOf('\n') - 1);
  }

  it('warns about an unknown tool and a missing required argument, where they are written', () => {
    const diagnostics = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'orchestrate');
    const unknown = diagnostics.find((d) => d.code === 'unknown-tool');
    assert.ok(unknown);
    assert.equal(unknown.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(unknown.message, 'server `everything` has no tool `ech`; did you mean `echo`?');
    assert.deepEqual([unknown.range.start.line, unknown.range.start.character], [positionOf('everything.ech\n').line, positionOf('everything.ech\n').character]);
    const missing = diagnostics.find((d) => d.code === 'missing-tool-argument');
    assert.ok(missing);
    assert.equal(missing.message, '`everything.get-sum` needs the argument `b`, which `with:` does not give');
    assert.equal(missing.range.start.line, positionOf('everything.get-sum').line);
    assert.ok(!diagnostics.some((d) => d.code === 'tool-server-unreachable'), diagnostics.map((d) => d.message).join('\n'));
  });

  it('offers to change the unknown tool to the closest one', async () => {
    const unknown = vscode.languages.getDiagnostics(uri).find((d) => d.code === 'unknown-tool');
    assert.ok(unknown);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, unknown.range, vscode.CodeActionKind.QuickFix.value);
    const change = actions.find((a) => a.title === 'Change to `everything.echo`');
    assert.ok(change?.edit, actions.map((a) => a.title).join(', '));
    assert.deepEqual(change.edit.get(uri).map((e) => e.newText), ['everything.echo']);
  });

  it('completes tool names with their descriptions, and the arguments inside `with:`', async () => {
    const names = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, positionOf('everything.ech\n', 'everything.'.length));
    const echo = names.items.find((i) => labelOf(i) === 'everything.echo');
    assert.ok(echo, names.items.map(labelOf).join(', '));
    assert.equal(echo.kind, vscode.CompletionItemKind.Function);
    assert.match((echo.documentation as vscode.MarkdownString).value, /Echo/);
    assert.ok(names.items.some((i) => labelOf(i) === 'everything.get-sum'));

    const args = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, cursor);
    const b = args.items.find((i) => labelOf(i) === 'b');
    assert.ok(b, args.items.map(labelOf).join(', '));
    assert.equal(b.detail, 'number · required');
    assert.equal((b.insertText as vscode.SnippetString).value, 'b: ${1:0}');
    assert.ok(!args.items.some((i) => labelOf(i) === 'a'), 'an argument already written is not offered again');
  });

  it('hovers a tool with its description and arguments', async () => {
    const onStep = texts(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, positionOf('everything.get-sum', 12)));
    assert.match(onStep, /Get Sum Tool/);
    assert.match(onStep, /`a` \(number, required\) — First number/);
    const onEntry = texts(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, positionOf('everything.echo]', 12)));
    assert.match(onEntry, /everything\.echo/);
    assert.match(onEntry, /`message` \(string, required\)/);
  });
});
