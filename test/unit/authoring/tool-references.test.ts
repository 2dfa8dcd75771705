// Matching a workflow's tool references against the tools its servers list: examples
// for the messages and locations, and properties over hostile names (prototype names,
// dotted and unicode tool names, argument keys like `__proto__`).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkToolReferences, TOOL_PROBLEM_CODES, toolReferences, type ServerTools, type ToolCatalogView } from '../../../src/authoring/tool-references';
import { acceptsArgument, argumentValueSnippet, toolArguments, typeWord } from '../../../src/authoring/tool-schema';
import { loadWorkflow, type Problem, type Workflow } from '../../../src/engine';
import type { ToolInfo } from '../../../src/engine/tools';

function load(text: string): Workflow {
  const { workflow } = loadWorkflow(text, 'tools.workflow.yaml');
  assert.ok(workflow);
  return workflow;
}

function tool(name: string, inputSchema: Record<string, unknown> = { type: 'object', properties: {} }, server = 'files'): ToolInfo {
  return { server, name, qualifiedName: `${server}.${name}`, inputSchema };
}

function viewOf(servers: Record<string, ServerTools>): ToolCatalogView {
  return (server) => (Object.prototype.hasOwnProperty.call(servers, server) ? servers[server] : undefined);
}

const FILES: ServerTools = {
  state: 'listed',
  tools: [
    tool('read_text_file', { type: 'object', properties: { path: { type: 'string' }, head: { type: 'number' } }, required: ['path'] }),
    tool('write_file', { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'], additionalProperties: false }),
    tool('list_directory', { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }),
  ],
};

/** `line:col code` for each problem, as the Problems view places them (1-based). */
function placed(problems: Problem[]): string[] {
  return problems.map((p) => `${p.range.start.line}:${p.range.start.column} ${p.code}`);
}

const WORKFLOW = `name: t
mcp:
  files: {}
  remote: {}
steps:
  - id: read
    tool: files.read_txt_file
  - id: write
    tool: files.write_file
    with:
      path: a.txt
      contents: hi
  - id: ask
    prompt: hi
    tools: [files.read_*, files.wrte_*, files.list_directory, files.nope, remote.x, other.y, "*.get_*"]
  - id: elsewhere
    tool: other.read
`;

describe('checkToolReferences', () => {
  test('each problem is located at what it is about, with a stable code and a message for the author', () => {
    const problems = checkToolReferences(load(WORKFLOW), viewOf({ files: FILES, remote: { state: 'unreachable', reason: 'it did not list its tools within 20 s' } }));
    assert.deepEqual(placed(problems), [
      '4:3 tool-server-unreachable',
      '7:11 unknown-tool',
      '9:11 missing-tool-argument',
      '12:7 unknown-tool-argument',
      '15:27 unknown-tool',
      '15:63 unknown-tool',
    ]);
    const [remote, unknown, missing, extra, pattern, exact] = problems;
    assert.equal(remote!.message, 'the tools of `remote` were not checked: it did not list its tools within 20 s');
    assert.equal(remote!.severity, 'warning');
    assert.equal(unknown!.message, 'server `files` has no tool `read_txt_file`; did you mean `read_text_file`?');
    assert.deepEqual(unknown!.data, { replacement: 'files.read_text_file' });
    assert.equal(missing!.message, '`files.write_file` needs the argument `content`, which `with:` does not give');
    assert.equal(extra!.message, '`files.write_file` takes no argument `contents`; did you mean `content`?');
    assert.equal(pattern!.message, '`files.wrte_*` matches no tool of `files`; its tools: `read_text_file`, `write_file`, `list_directory`');
    assert.equal(exact!.message, 'server `files` has no tool `nope`; its tools: `read_text_file`, `write_file`, `list_directory`');
    assert.ok(problems.every((p) => p.severity === 'warning' && p.file === 'tools.workflow.yaml'));
    assert.deepEqual(new Set(problems.map((p) => p.code)), new Set(TOOL_PROBLEM_CODES), 'every code found here, as the golden files skip them');
  });

  test('nothing while a server is being listed, nothing in restricted mode, nothing for servers `mcp:` does not name', () => {
    const workflow = load(WORKFLOW);
    assert.deepEqual(checkToolReferences(workflow, viewOf({ files: { state: 'pending' }, remote: { state: 'pending' } })), []);
    assert.deepEqual(checkToolReferences(workflow, () => undefined), []);
    // `other` is the analyzer's problem (unknown-tool-server), not a second one here.
    const all = checkToolReferences(workflow, viewOf({ files: FILES, remote: { state: 'listed', tools: [] }, other: FILES }));
    assert.ok(!all.some((p) => p.stepId === 'elsewhere'));
    assert.ok(all.some((p) => p.message === 'server `remote` has no tool `x`; it lists no tools'));
  });

  test('a `with:` that is not a mapping is not checked for arguments; a step without `with:` misses every required one', () => {
    const text = `name: t\nmcp: { files: {} }\nsteps:\n  - id: a\n    tool: files.write_file\n    with: "{{ inputs.x }}"\n  - id: b\n    tool: files.write_file\n`;
    const problems = checkToolReferences(load(text), viewOf({ files: FILES }));
    assert.deepEqual(problems.map((p) => [p.stepId, p.code, p.data]), [['b', 'missing-tool-argument', { missing: ['path', 'content'] }]]);
    assert.match(problems[0]!.message, /needs the arguments `path`, `content`/);
  });

  test('a broken `mcp:` entry is the analyzer’s problem alone', () => {
    const text = `name: t\nmcp:\n  files:\n    command: 42\n  "bad name": {}\nsteps:\n  - id: a\n    tool: files.x\n`;
    const { problems } = loadWorkflow(text, 'tools.workflow.yaml');
    assert.deepEqual(problems.map((p) => p.code).sort(), ['mcp-server-invalid', 'mcp-server-name']);
    const unreachable: ServerTools = { state: 'unreachable', reason: 'no such server' };
    assert.deepEqual(checkToolReferences(load(text), () => unreachable), []);
  });

  test('a list of many tools is cut short and counted', () => {
    const many: ServerTools = { state: 'listed', tools: Array.from({ length: 30 }, (_, i) => tool(`tool_number_${i}`)) };
    const [problem] = checkToolReferences(load('name: t\nmcp: { files: {} }\nsteps:\n  - id: a\n    tool: files.zzz\n'), viewOf({ files: many }));
    assert.match(problem!.message, /`tool_number_7` … \(30 in all\)$/);
  });
});

// ─── Properties over hostile names ─────────────────────────────────────────────

const HOSTILE = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'a.b', 'x.y.z', 'ünïcødé', '名前', 'emoji_🚀', 'get-sum', '0'];
const toolName = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ minLength: 1, maxLength: 12 }).filter((s) => /^[^\s*]+$/.test(s)));
const argName = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ minLength: 1, maxLength: 10 }).filter((s) => /^\S+$/.test(s)));

/** Builds a schema with `properties` and `required` written as own keys (as JSON.parse would give them). */
function schemaOf(properties: readonly string[], required: readonly string[], closed: boolean): Record<string, unknown> {
  const props: Record<string, unknown> = JSON.parse(`{${properties.map((p) => `${JSON.stringify(p)}: {"type": "string"}`).join(',')}}`) as Record<string, unknown>;
  return { type: 'object', properties: props, required: [...required], ...(closed ? { additionalProperties: false } : {}) };
}

describe('checkToolReferences, properties', () => {
  test('a `tool:` is unknown exactly when the server does not list its name', () => {
    fc.assert(
      fc.property(fc.uniqueArray(toolName, { maxLength: 6 }), toolName, (listed, called) => {
        const workflow = load(`name: t\nmcp: { srv: {} }\nsteps:\n  - id: a\n    tool: ${JSON.stringify(`srv.${called}`)}\n`);
        const problems = checkToolReferences(workflow, viewOf({ srv: { state: 'listed', tools: listed.map((n) => tool(n, { type: 'object' }, 'srv')) } }));
        assert.equal(problems.some((p) => p.code === 'unknown-tool'), !listed.includes(called), JSON.stringify({ listed, called, problems }));
      }),
      { numRuns: 300 },
    );
  });

  test('missing arguments are the required ones `with:` lacks; unknown ones are the keys a closed schema lacks', () => {
    fc.assert(
      fc.property(fc.uniqueArray(argName, { maxLength: 5 }), fc.uniqueArray(argName, { maxLength: 5 }), fc.uniqueArray(argName, { maxLength: 5 }), fc.boolean(), (properties, required, given, closed) => {
        const withBlock = given.length === 0 ? '' : `    with:\n${given.map((k, i) => `      ${JSON.stringify(k)}: ${i}\n`).join('')}`;
        const workflow = load(`name: t\nmcp: { srv: {} }\nsteps:\n  - id: a\n    tool: srv.the_tool\n${withBlock}`);
        const problems = checkToolReferences(workflow, viewOf({ srv: { state: 'listed', tools: [tool('the_tool', schemaOf(properties, required, closed), 'srv')] } }));
        const missing = problems.find((p) => p.code === 'missing-tool-argument')?.data?.missing ?? [];
        assert.deepEqual(new Set(missing as string[]), new Set(required.filter((r) => !given.includes(r))));
        const unknown = problems.filter((p) => p.code === 'unknown-tool-argument').map((p) => p.data?.argument);
        assert.deepEqual(unknown, closed ? given.filter((g) => !properties.includes(g)) : []);
        assert.ok(problems.every((p) => p.stepId === 'a'));
      }),
      { numRuns: 300 },
    );
  });

  test('`tools:` entries: an exact name is unknown when not listed; a pattern when it matches nothing; never a throw', () => {
    fc.assert(
      fc.property(fc.uniqueArray(toolName, { maxLength: 6 }), fc.array(fc.oneof(toolName, toolName.map((n) => `${n.slice(0, 2)}*`)), { minLength: 1, maxLength: 4 }), (listed, entries) => {
        const workflow = load(`name: t\nmcp: { srv: {} }\nsteps:\n  - id: a\n    prompt: hi\n    tools: [${entries.map((e) => JSON.stringify(`srv.${e}`)).join(', ')}]\n`);
        const references = toolReferences(workflow);
        assert.equal(references.length, entries.length);
        const problems = checkToolReferences(workflow, viewOf({ srv: { state: 'listed', tools: listed.map((n) => tool(n, { type: 'object' }, 'srv')) } }));
        const flagged = problems.map((p) => p.range.offset);
        references.forEach((reference, i) => {
          const entry = entries[i]!;
          const matches = entry.includes('*') ? listed.some((n) => new RegExp(`^${entry.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's').test(n)) : listed.includes(entry);
          assert.equal(flagged.includes(reference.range.offset), !matches, JSON.stringify({ entry, listed }));
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('tool-schema', () => {
  test('arguments: required first, own properties only, odd schemas give `any`', () => {
    const args = toolArguments({ inputSchema: JSON.parse('{"type":"object","properties":{"__proto__":{"type":"number","description":"a number"},"opt":{"type":["string","null"]},"constructor":{"enum":["a","b"]}},"required":["constructor","ghost",7]}') as Record<string, unknown> });
    assert.deepEqual(args.map((a) => [a.name, a.required, a.type]), [
      ['constructor', true, '"a" | "b"'],
      ['ghost', true, 'any'],
      ['__proto__', false, 'number'],
      ['opt', false, 'string | null'],
    ]);
    assert.equal(args[2]!.description, 'a number');
    assert.deepEqual(toolArguments({ inputSchema: { properties: 'nonsense', required: 'x' } }), []);
    assert.equal(typeWord({ type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } }), '(string | number)[]');
  });

  test('snippets by JSON type', () => {
    const snippet = (schema: Record<string, unknown>, def?: unknown) => argumentValueSnippet({ name: 'x', required: true, type: '', schema, ...(def !== undefined ? { default: def } : {}) });
    assert.equal(snippet({ type: 'string' }), '"${1}"');
    assert.equal(snippet({ type: 'string' }, 'a$b}'), '"${1:a\\$b\\}}"');
    assert.equal(snippet({ type: 'number' }, 3), '${1:3}');
    assert.equal(snippet({ type: 'boolean' }, true), '${1|true,false|}');
    assert.equal(snippet({ type: 'array' }), '[$1]');
    assert.equal(snippet({ type: 'object' }), '{ $1 }');
    assert.equal(snippet({ enum: ['a,b', 'c|d'] }), '${1|a\\,b,c\\|d|}');
  });

  test('a closed schema still admits names its patternProperties match', () => {
    const closed = { inputSchema: { type: 'object', properties: { a: {} }, patternProperties: { '^x_': {} }, additionalProperties: false } };
    assert.equal(acceptsArgument(closed, 'a'), true);
    assert.equal(acceptsArgument(closed, 'x_1'), true);
    assert.equal(acceptsArgument(closed, 'constructor'), false);
    assert.equal(acceptsArgument({ inputSchema: { type: 'object' } }, '__proto__'), true);
  });
});
