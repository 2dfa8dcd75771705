// Tool completion and hover (src/extension/language/tool-*.ts) on text with a `¦`
// marking the cursor, against a catalog given as data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerTools, ToolCatalogView } from '../../../src/authoring/tool-references';
import type { ToolInfo } from '../../../src/engine/tools';
import { completionsAt, type Completion } from '../../../src/extension/language/completion';
import { parseWorkflow } from '../../../src/extension/language/parsed';
import { toolQuickFixAt } from '../../../src/extension/language/tool-fixes';
import { toolHoverAt } from '../../../src/extension/language/tool-hover';

function tool(server: string, name: string, inputSchema: Record<string, unknown>, extra: Partial<ToolInfo> = {}): ToolInfo {
  return { server, name, qualifiedName: `${server}.${name}`, inputSchema, ...extra };
}

const FILES: ServerTools = {
  state: 'listed',
  tools: [
    tool(
      'files',
      'read_text_file',
      { type: 'object', properties: { head: { type: 'number', description: 'First N lines' }, path: { type: 'string', description: 'The file' }, tail: { type: 'number' } }, required: ['path'] },
      { title: 'Read Text File', description: 'Reads a file as text. [click](https://evil.example) <img src=x>', annotations: { readOnlyHint: true } },
    ),
    tool('files', 'write_file', { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' }, mode: { enum: ['a', 'w'] } }, required: ['path', 'content'] }),
  ],
};
const VIEW: ToolCatalogView = (server) => (server === 'files' ? FILES : server === 'slow' ? { state: 'pending' } : undefined);

const BASE = `name: t
mcp:
  files: {}
  slow: {}
steps:
`;

function at(body: string): { text: string; offset: number } {
  const text = BASE + body;
  const offset = text.indexOf('¦');
  return { text: text.replace('¦', ''), offset };
}

function complete(body: string, view: ToolCatalogView = VIEW): Completion[] {
  const { text, offset } = at(body);
  // The analysis the editor would have: made from the text as it is.
  return completionsAt(text, offset, parseWorkflow(text, 'a.workflow.yaml'), { schemaItems: true, tools: view });
}

describe('tool completion', () => {
  it('offers `server.tool` for a `tool:` value, with the title and the description as documentation', () => {
    const items = complete('  - id: a\n    tool: fi¦\n');
    assert.deepEqual(items.map((i) => i.label), ['files.read_text_file', 'files.write_file']);
    const read = items[0]!;
    assert.equal(read.kind, 'tool');
    assert.equal(read.detail, 'Read Text File');
    assert.match(read.documentation!, /Reads a file as text/);
    assert.match(read.documentation!, /`path` \(string, required\) — The file/);
    const { text, offset } = at('  - id: a\n    tool: fi¦\n');
    assert.equal(text.slice(read.start, read.end), 'fi');
    assert.equal(read.end, offset);
  });

  it('with nothing listed, a `tool:` value falls back to the schema’s completions', () => {
    const labels = complete('  - id: a\n    tool: ¦\n', () => ({ state: 'pending' })).map((i) => i.label);
    assert.deepEqual(labels, ['files.read_text_file'], 'the schema’s example');
  });

  it('offers `server.*` and each tool for a `tools:` entry, in a flow list and on `- ` lines', () => {
    const flow = complete('  - id: a\n    prompt: hi\n    tools: [files.read_text_file, fi¦]\n');
    assert.deepEqual(flow.map((i) => i.label), ['files.*', 'slow.*', 'files.read_text_file', 'files.write_file']);
    assert.equal(flow[0]!.detail, 'every tool of files (2 tools)');
    const { text } = at('  - id: a\n    prompt: hi\n    tools: [files.read_text_file, fi¦]\n');
    assert.equal(text.slice(flow[0]!.start, flow[0]!.end), 'fi');
    const block = complete('  - id: a\n    prompt: hi\n    tools:\n      - files.read_text_file\n      - "fil¦"\n');
    assert.deepEqual(block.map((i) => i.label), ['files.*', 'slow.*', 'files.read_text_file', 'files.write_file']);
    const blockText = at('  - id: a\n    prompt: hi\n    tools:\n      - files.read_text_file\n      - "fil¦"\n').text;
    assert.equal(blockText.slice(block[0]!.start, block[0]!.end), 'fil');
    // In a parallel branch too.
    assert.equal(complete('  - id: p\n    parallel:\n      - id: b\n        prompt: hi\n        tools: [¦]\n').length, 4);
  });

  it('offers argument keys inside `with:`: required first, the ones written left out, a snippet by type', () => {
    const items = complete('  - id: a\n    tool: files.write_file\n    with:\n      path: x.txt\n      ¦\n');
    assert.deepEqual(items.map((i) => [i.label, i.detail, i.insertText]), [
      ['content', 'string · required', 'content: "${1}"'],
      ['mode', '"a" | "w"', 'mode: ${1|a,w|}'],
    ]);
    assert.ok(items.every((i) => i.snippet));
    assert.ok(items[0]!.sortText! < items[1]!.sortText!);
    const flow = complete('  - id: a\n    tool: files.read_text_file\n    with: { path: a, ¦ }\n');
    assert.deepEqual(flow.map((i) => i.label), ['head', 'tail']);
    assert.equal(flow[0]!.insertText, 'head: ${1:0}');
  });

  it('offers nothing of tools in restricted mode, for an unknown tool, or outside a tool step', () => {
    assert.deepEqual(complete('  - id: a\n    tool: files.write_file\n    with:\n      ¦\n', () => undefined), []);
    assert.deepEqual(complete('  - id: a\n    tool: files.nope\n    with:\n      ¦\n'), []);
    assert.ok(!complete('  - id: a\n    uses: other.workflow.yaml\n    with:\n      ¦\n').some((i) => i.kind === 'tool' || i.label === 'path'));
    // `server.*` comes from `mcp:` alone, so it is offered even when nothing is listed.
    assert.deepEqual(complete('  - id: a\n    prompt: hi\n    tools: [¦]\n', () => undefined).map((i) => i.label), ['files.*', 'slow.*']);
  });
});

describe('tool hover', () => {
  function hover(body: string, view: ToolCatalogView = VIEW) {
    const { text, offset } = at(body);
    return toolHoverAt(parseWorkflow(text, 'a.workflow.yaml'), offset, view);
  }

  it('on a `tool:` value: title, hints, escaped description and the arguments', () => {
    const result = hover('  - id: a\n    tool: files.re¦ad_text_file\n');
    assert.ok(result);
    assert.match(result.markdown, /^\*\*`files\.read_text_file`\*\* · Read Text File · _read-only_/);
    assert.match(result.markdown, /\\\[click\\\]\\\(https:\/\/evil\\\.example\\\) \\<img src=x\\>/, 'the server’s markup is shown as text');
    assert.match(result.markdown, /- `path` \(string, required\) — The file\n- `head` \(number, optional\) — First N lines\n- `tail` \(number, optional\)/);
  });

  it('on a `tools:` entry: one tool, or the tools a pattern selects; a server still listing says so', () => {
    assert.match(hover('  - id: a\n    prompt: hi\n    tools: [files.write¦_file]\n')!.markdown, /^\*\*`files\.write_file`\*\*/);
    assert.match(hover('  - id: a\n    prompt: hi\n    tools: [fil¦es.*]\n')!.markdown, /^\*\*`files\.\*`\*\* · 2 tools\n\n- `files\.read_text_file` — Read Text File\n- `files\.write_file`$/);
    assert.equal(hover('  - id: a\n    prompt: hi\n    tools: [sl¦ow.x]\n')!.markdown, 'Listing the tools of `slow`…');
    assert.equal(hover('  - id: a\n    tool: files.read_text_file¦\n', () => undefined), undefined);
    assert.equal(hover('  - id: a\n    tool: files.read_text_file¦\n', () => ({ state: 'unsaved' }))!.markdown, 'The tools of `files` are listed once the file is saved.');
  });

  it('on a `with:` key: that argument', () => {
    const result = hover('  - id: a\n    tool: files.read_text_file\n    with:\n      he¦ad: 3\n');
    assert.equal(result?.markdown, '**argument `head`** of `files.read_text_file`\n\n`head` (number, optional) — First N lines');
  });
});

describe('tool quick fixes', () => {
  it('change a misspelt tool or argument to the closest one, keeping the quotes', () => {
    const fix = (body: string, code: string, needle: string) => {
      const text = BASE + body;
      const workflow = parseWorkflow(text, 'a.workflow.yaml').workflow!;
      const found = toolQuickFixAt(workflow, text, VIEW, code, text.indexOf(needle));
      return found && `${found.title} → ${text.slice(0, found.offset)}${found.newText}${text.slice(found.endOffset)}`.replace(BASE, '');
    };
    assert.equal(fix('  - id: a\n    tool: files.read_txt_file\n', 'unknown-tool', 'files.read_txt'), 'Change to `files.read_text_file` →   - id: a\n    tool: files.read_text_file\n');
    assert.equal(fix('  - id: a\n    prompt: hi\n    tools: ["files.writ_file"]\n', 'unknown-tool', '"files.writ'), 'Change to `files.write_file` →   - id: a\n    prompt: hi\n    tools: ["files.write_file"]\n');
    assert.equal(fix('  - id: a\n    tool: files.nothing_like_it\n', 'unknown-tool', 'files.nothing'), undefined);
    assert.equal(fix('  - id: a\n    tool: files.read_txt_file\n', 'unknown-step-ref', 'files.read_txt'), undefined);
  });
});
