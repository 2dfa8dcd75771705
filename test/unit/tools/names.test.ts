// Tool-name patterns, function-tool names for models, and capped event values.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { capValue, cutUtf8, parsePatternList, PatternError, recordResult, resultText, splitQualifiedName, toFunctionTools, ToolPattern, type ToolInfo } from '../../../src/engine/tools';

const serverName = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
/** MCP tool names: letters, digits, `_`, `-`, `.` and `/`; plus regex characters a hostile server might send. */
const toolName = fc.stringMatching(/^[A-Za-z0-9_.\-/$^()[\]+?|\\{}]{1,20}$/);

describe('tool patterns', () => {
  test('what each form matches', () => {
    const m = (pattern: string, server: string, tool: string) => ToolPattern.parse(pattern).matches(server, tool);
    assert.equal(m('files.read_text_file', 'files', 'read_text_file'), true);
    assert.equal(m('files.read_text_file', 'files', 'read_text_files'), false);
    assert.equal(m('files.*', 'files', 'anything.with.dots'), true);
    assert.equal(m('files.*', 'filesystem', 'read'), false);
    assert.equal(m('files', 'files', 'read'), true);
    assert.equal(m('files.read_*', 'files', 'read_media_file'), true);
    assert.equal(m('files.read_*', 'files', 'write_file'), false);
    assert.equal(m('*.get_*', 'weather', 'get_forecast'), true);
    assert.equal(m('*', 'any', 'thing'), true);
    assert.equal(m('a.b.c', 'a', 'b.c'), true);
  });

  test('mistakes are clear errors', () => {
    assert.throws(() => ToolPattern.parse(''), PatternError);
    assert.throws(() => ToolPattern.parse('files.'), /needs a server and a tool around the dot/);
    assert.throws(() => ToolPattern.parse('.read'), /needs a server and a tool around the dot/);
    assert.throws(() => parsePatternList(['files.read write']), /holds a space; separate patterns with commas/);
    assert.deepEqual(parsePatternList(['a.*,b.c', ',', 'd']).map((p) => p.source), ['a.*', 'b.c', 'd']);
  });

  test('an exact pattern matches its own tool and nothing else, whatever characters the name holds (property)', () => {
    fc.assert(
      fc.property(serverName, toolName, serverName, toolName, (server, tool, otherServer, otherTool) => {
        fc.pre(!tool.includes('*'));
        const pattern = ToolPattern.parse(`${server}.${tool}`);
        if (!pattern.matches(server, tool)) return false;
        return (otherServer === server && otherTool === tool) || !pattern.matches(otherServer, otherTool);
      }),
    );
  });

  test('`server.*` matches every tool of that server and none of another (property)', () => {
    fc.assert(fc.property(serverName, toolName, serverName, (server, tool, other) => ToolPattern.parse(`${server}.*`).matches(server, tool) && (other === server || !ToolPattern.parse(`${server}.*`).matches(other, tool))));
  });

  test('splitQualifiedName splits at the first dot', () => {
    assert.deepEqual(splitQualifiedName('files.a.b'), { server: 'files', tool: 'a.b' });
    assert.equal(splitQualifiedName('files'), undefined);
    assert.equal(splitQualifiedName('.x'), undefined);
  });
});

describe('function tools for models', () => {
  const tool = (server: string, name: string, extra: Partial<ToolInfo> = {}): ToolInfo => ({ server, name, qualifiedName: `${server}.${name}`, inputSchema: { type: 'object' }, ...extra });

  test('names OpenAI accepts, unique, and mapped back to the tool (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(serverName, toolName), { maxLength: 30 }), (pairs) => {
        const tools = pairs.map(([s, t]) => tool(s, t));
        const set = toFunctionTools(tools);
        const names = set.definitions.map((d) => d.function.name);
        return (
          names.every((n) => /^[A-Za-z0-9_-]{1,64}$/.test(n)) &&
          new Set(names).size === names.length &&
          names.every((n, i) => set.resolve(n) === tools[i])
        );
      }),
    );
  });

  test('schemas OpenAI accepts: an object with properties, no $schema; unknown names resolve to nothing', () => {
    const set = toFunctionTools([tool('files', 'list_allowed_directories', { description: 'x'.repeat(5000), inputSchema: { type: 'object', $schema: 'http://json-schema.org/draft-07/schema#' } })]);
    const [definition] = set.definitions;
    assert.deepEqual(definition!.function.parameters, { type: 'object', properties: {} });
    assert.equal(definition!.function.name, 'files__list_allowed_directories');
    assert.equal(definition!.function.description!.length, 1024);
    assert.equal(set.resolve('constructor'), undefined);
    assert.equal(set.resolve('files.list_allowed_directories'), undefined);
  });
});

describe('capped values in events', () => {
  test('cutUtf8 keeps a prefix within the byte budget and never splits a character (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat(200), (text, max) => {
        const cut = cutUtf8(text, max);
        return text.startsWith(cut) && Buffer.byteLength(cut, 'utf8') <= max && !/[\uD800-\uDBFF]$/.test(cut);
      }),
    );
  });

  test('capValue keeps small values whole and says how big a cut one was', () => {
    assert.deepEqual(capValue({ a: 1 }), { value: { a: 1 }, truncated: false, bytes: 7 });
    const big = capValue({ text: 'é'.repeat(10_000) }, 100);
    assert.equal(big.truncated, true);
    assert.equal(big.bytes, Buffer.byteLength(JSON.stringify({ text: 'é'.repeat(10_000) })));
    assert.ok(Buffer.byteLength(big.value as string) <= 100);
  });

  test('recordResult cuts a big result and stores the whole of it', async () => {
    const stored: unknown[] = [];
    const whole = { text: 'x'.repeat(1000), structuredContent: { rows: 'y'.repeat(1000) }, isError: false };
    const record = await recordResult(whole, { capBytes: 200, store: async (r) => (stored.push(r), 'run.tools/c1.json') });
    assert.equal(record.truncated, true);
    assert.equal(record.text.length, 200);
    assert.equal(record.structuredContent, undefined);
    assert.equal(record.ref, 'run.tools/c1.json');
    assert.deepEqual(stored, [whole]);
    const small = await recordResult({ text: 'ok', structuredContent: { n: 1 }, isError: true }, { store: async () => assert.fail('nothing to store') });
    assert.deepEqual(small, { text: 'ok', structuredContent: { n: 1 }, isError: true, truncated: false, bytes: JSON.stringify({ text: 'ok', structuredContent: { n: 1 }, isError: true }).length });
  });

  test('resultText describes binary parts instead of inlining them', () => {
    assert.equal(
      resultText([
        { type: 'text', text: 'a' },
        { type: 'image', data: 'A'.repeat(4000), mimeType: 'image/png' },
        { type: 'resource_link', uri: 'file:///x', name: 'x' },
        { type: 'resource', resource: { uri: 'file:///y', text: 'inline text' } },
        { type: 'resource', resource: { uri: 'file:///z', blob: 'AAAA', mimeType: 'application/zip' } },
      ]),
      'a\n[image image/png, 2.9 KB]\n[resource x: file:///x]\ninline text\n[resource file:///z application/zip, 3 B]',
    );
  });
});
