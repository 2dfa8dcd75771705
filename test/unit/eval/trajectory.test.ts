// `tools:` expectations (the tool-call trajectory): parsed with located problems,
// checked with messages that name the call that differed, property-tested over random
// trajectories against brute force, and end to end on a case run that calls the real
// filesystem MCP server through a `tool:` step and a scripted tool loop.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { checkTrajectory, parseTests, runCase, type TestCase, type ToolCallFact, type ToolsExpectationSpec } from '../../../src/engine/eval';
import { loadWorkflow } from '../../../src/engine/load';
import { ToolSession } from '../../../src/engine/run/tool-session';
import { createRunTools } from '../../../src/engine/tools';
import { EVERYTHING_BIN, FILESYSTEM_BIN } from '../tools/servers';
import { runCli } from '../../support/durable';
import { mockProviders } from './support';

const TOOLED = `name: Tooled
mcp:
  files: {}
  notes: {}
steps:
  - id: ask
    prompt: Look around.
    tools: [files.*]
    mock: done
`;

function parse(tests: string, workflowText = TOOLED) {
  const text = `${workflowText}tests:\n${tests}`;
  const { workflow } = loadWorkflow(text, 't.workflow.yaml');
  assert.ok(workflow);
  return { suite: parseTests(text, 't.workflow.yaml', workflow), text };
}

const problemsOf = (tests: string) => parse(tests).suite.problems.map((p) => `${p.range.start.line}:${p.range.start.column} ${p.code}: ${p.message}`);

function specOf(tests: string): ToolsExpectationSpec {
  const { suite } = parse(tests);
  assert.deepEqual(suite.problems, []);
  const expectation = (suite.entries[0] as TestCase).expect[0];
  assert.equal(expectation.kind, 'tools');
  return expectation as ToolsExpectationSpec;
}

function call(name: string, args: unknown = {}, extra: Partial<ToolCallFact> = {}): ToolCallFact {
  const dot = name.indexOf('.');
  return { name, server: name.slice(0, dot), tool: name.slice(dot + 1), args, argsTruncated: false, status: 'succeeded', stepId: 'ask', visit: 1, result: 'ok', ...extra };
}

const check = (spec: Omit<ToolsExpectationSpec, 'kind'>, calls: ToolCallFact[]) => checkTrajectory({ kind: 'tools', ...spec }, calls, { row: {} as never });

describe('tools: in tests — reading', () => {
  test('the list form is an exact trajectory; the map form defaults to in-order', () => {
    const exact = specOf(`  - name: t
    expect:
      - tools: [files.list_directory, { tool: files.read_text_file, args: { path: a.txt } }]
`);
    assert.equal(exact.order, 'exact');
    assert.deepEqual(exact.calls?.map((c) => [c.name, c.args]), [['files.list_directory', undefined], ['files.read_text_file', { path: 'a.txt' }]]);
    const loose = specOf(`  - name: t
    expect:
      - tools:
          calls: [{ tool: "files.*", where: 'call.args.path.endsWith(".md")' }]
          never: [notes.write_note]
          max: 4
          counts: { files.read_text_file: { max: 2 }, files.list_directory: 1 }
`);
    assert.equal(loose.order, 'in-order');
    assert.equal(loose.calls?.[0].where?.source, 'call.args.path.endsWith(".md")');
    assert.deepEqual(loose.counts, [{ name: 'files.read_text_file', max: 2 }, { name: 'files.list_directory', min: 1, max: 1 }]);
    assert.deepEqual(specOf(`  - name: t\n    expect: { tools: [] }\n`).calls, []);
  });

  test('each mistake is a located problem with a stable code, worded for the author', () => {
    const shape = '`tools:` is the list of tool calls the run makes, in order (`[files.list_directory, files.read_text_file]`), or `{ calls: [...], order: in-order, never: [...], max: 5, counts: { files.read_text_file: 2 } }`';
    assert.deepEqual(
      problemsOf(`  - name: t
    expect:
      - tools: [file.read_text_file, "files.", { tool: files.x, wher: "true" }]
      - tools: { calls: [files.a], order: sideways }
      - tools: { calls: [{ tool: files.a, where: "call.args.path +" }] }
      - tools: { counts: { files.a: { min: 3, max: 1 } } }
      - tools: { max: -1 }
      - tools: { calls: [files.write, files.read], never: ["files.w*"], max: 1 }
      - tools: { calls: [files.read, files.read], counts: { files.read: { max: 1 } } }
      - tools: { calls: [{ tool: files.a, args: { p: "{{ row. }}" } }] }
      - tools: 3
      - tools: {}
`),
      [
        "13:17 test-unknown-tool: no MCP server `file` is named under the workflow's `mcp:`, so the run cannot call `file.read_text_file`; did you mean `files`?",
        '13:38 test-shape: tool pattern `files.` needs a server and a tool around the dot, as in `files.read_text_file` or `files.*`',
        '13:65 test-unknown-key: an expected tool call has no key `wher`; did you mean `where`?',
        '14:43 test-shape: `order:` is `exact` (these calls and no others, in order), `in-order` (in this order, others may come between) or `any` (each made, in any order)',
        '15:50 test-expression: `call.args.path +` cannot be checked: it ends too early; something is missing at the end (names: call, outputs, steps, inputs, row, …)',
        '16:37 test-tool-conflict: `min: 3` is more than `max: 1`: no run can satisfy both',
        '17:23 test-shape: `max:` is the most tool calls the run may make, a whole number (0 or more)',
        '18:16 test-tool-conflict: `max: 1` allows fewer tool calls than the 2 under `calls:`',
        '18:26 test-tool-conflict: `files.write` is expected here, and `never:` lists `files.w*`: no run can satisfy both',
        '19:61 test-tool-conflict: `counts:` allows at most 1 call of `files.read`, but `calls:` expects 2',
        '20:54 test-expression: `{{ row. }}` cannot be checked: expected a name but found the end (names: outputs, steps, inputs, row, …)',
        `21:16 test-shape: ${shape}`,
        `22:16 test-shape: say what to expect of the tool calls: ${shape}`,
      ],
    );
  });

  test('tools under a sub-workflow are not checked against this file\'s servers', () => {
    const { suite } = parse(`  - name: t\n    expect:\n      - tools: [elsewhere.tool]\n`, `${TOOLED}  - id: sub\n    uses: ./other.workflow.yaml\n`);
    assert.deepEqual(suite.problems.map((p) => p.code), []);
  });
});

describe('tools: in tests — checking', () => {
  const trajectory = [call('files.list_directory', { path: '.' }), call('files.read_text_file', { path: 'b.txt' }), call('notes.write_note', { text: 'hi' })];

  test('exact: the first call that differs, and how', () => {
    assert.deepEqual(check({ order: 'exact', calls: [{ name: 'files.list_directory' }, { name: 'files.read_text_file', args: { path: 'a.txt' } }, { name: 'notes.*' }] }, trajectory), {
      passed: false,
      message: 'call 2 was files.read_text_file {"path":"b.txt"}: `path` is "b.txt", expected "a.txt"; expected files.read_text_file with {"path":"a.txt"}',
      expected: 'files.list_directory\nfiles.read_text_file with {"path":"a.txt"}\nnotes.*',
      actual: 'files.list_directory {"path":"."}\nfiles.read_text_file {"path":"b.txt"}\nnotes.write_note {"text":"hi"}',
    });
    assert.equal(check({ order: 'exact', calls: [{ name: 'files.list_directory' }] }, trajectory).message, 'call 2, files.read_text_file {"path":"b.txt"}, was not expected (expected 1 tool call, the last files.list_directory)');
    assert.equal(check({ order: 'exact', calls: [{ name: 'files.list_directory' }] }, []).message, 'expected call 1, files.list_directory, was never made (the run made 0 tool calls)');
    assert.equal(check({ order: 'exact', calls: [] }, []).passed, true);
  });

  test('in-order and any: the expected call not made, and the nearest miss', () => {
    assert.equal(
      check({ order: 'in-order', calls: [{ name: 'files.read_text_file' }, { name: 'files.list_directory' }] }, trajectory).message,
      'expected call 2, files.list_directory, was not made after call 2 (files.read_text_file {"path":"b.txt"}, which matched expected call 1); `files.list_directory` was called only before that (call 1)',
    );
    assert.equal(check({ order: 'any', calls: [{ name: 'files.read_text_file' }, { name: 'files.list_directory' }] }, trajectory).passed, true);
    assert.equal(
      check({ order: 'any', calls: [{ name: 'files.read_text_file', args: { path: 'b.txt', head: 3 } }] }, trajectory).message,
      'expected call 1, files.read_text_file with {"path":"b.txt","head":3}, was not made; call 2, files.read_text_file {"path":"b.txt"}, differs: no `head`',
    );
    assert.match(check({ order: 'any', calls: [{ name: 'files.*' }, { name: 'files.*' }, { name: 'files.*' }] }, trajectory).message!, /^expected call 3, files\.\*, has no call of its own: the 2 calls that fit it \(call 1, call 2\) also fit other expected calls, and 3 expected calls need them$/);
  });

  test('where: a CEL predicate over the call, its failure said per call', () => {
    const where = { source: 'call.args.path.endsWith(".md")', range: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 }, offset: 0, endOffset: 0 } };
    assert.equal(
      check({ order: 'in-order', calls: [{ name: 'files.read_text_file', where }] }, trajectory).message,
      'expected call 1, files.read_text_file where call.args.path.endsWith(".md"), was not made; call 2, files.read_text_file {"path":"b.txt"}, differs: `call.args.path.endsWith(".md")` is false for it',
    );
    assert.equal(check({ order: 'in-order', calls: [{ name: 'files.read_text_file', where }] }, [call('files.read_text_file', { path: 'x.md' })]).passed, true);
  });

  test('never, max and counts', () => {
    assert.deepEqual(check({ order: 'in-order', never: ['notes.*', 'files.delete'], max: 2, counts: [{ name: 'files.read_text_file', min: 2 }] }, trajectory).message, [
      'a tool of `notes.*` was called once (first: call 3, notes.write_note {"text":"hi"}), expected never',
      'the run made 3 tool calls, at most 2 allowed',
      '`files.read_text_file` was called once, expected at least 2',
    ].join('; '));
    assert.equal(check({ order: 'in-order', never: ['files.delete'], max: 3, counts: [{ name: 'files.*', min: 2, max: 2 }] }, trajectory).passed, true);
  });

  test('denied and truncated calls are named as such', () => {
    const denied = call('files.write_file', { path: 'x' }, { status: 'failed', error: 'denied' });
    assert.match(check({ order: 'in-order', never: ['files.write_file'] }, [denied]).message!, /call 1, files\.write_file \{"path":"x"\} \(failed\)\), expected never$/);
    const cut = call('files.read_text_file', '{"path":"aaaa', { argsTruncated: true });
    assert.match(check({ order: 'exact', calls: [{ name: 'files.read_text_file', args: { path: 'a' } }] }, [cut]).message!, /too large to record whole/);
  });
});

// ─── Properties ──────────────────────────────────────────────────────────────

const NAMES = ['files.read', 'files.list', 'notes.write', 'x.__proto__', 'constructor.toString'];
const argsArb = fc.dictionary(fc.constantFrom('path', '__proto__', 'constructor', 'n'), fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constantFrom('a', 'b')), { maxKeys: 2 });
const callArb = fc.record({ name: fc.constantFrom(...NAMES), args: argsArb }).map(({ name, args }) => call(name, JSON.parse(JSON.stringify(args)) as unknown));
const trajectoryArb = fc.array(callArb, { maxLength: 7 });
/** An expected call: a name or a pattern, with or without exact arguments. */
const expectedArb = fc.record({ name: fc.constantFrom(...NAMES, 'files.*', '*'), args: fc.option(argsArb, { nil: undefined }) }).map(({ name, args }) => (args === undefined ? { name } : { name, args: JSON.parse(JSON.stringify(args)) as unknown }));

const fits = (e: { name: string; args?: unknown }, c: ToolCallFact) => check({ order: 'exact', calls: [e] }, [c]).passed;

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (let i = 0; i < items.length; i++) for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [items[i], ...rest];
}

describe('tools: in tests — properties over random trajectories', () => {
  test('a trajectory fits itself exactly, any subsequence in order, any shuffle of a subset in any order', () => {
    fc.assert(
      fc.property(trajectoryArb, fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), fc.integer(), (calls, keep, seed) => {
        const self = calls.map((c) => ({ name: c.name, args: c.args }));
        assert.equal(check({ order: 'exact', calls: self }, calls).passed, true);
        const subsequence = self.filter((_, i) => keep[i]);
        assert.equal(check({ order: 'in-order', calls: subsequence }, calls).passed, true);
        const shuffled = [...subsequence].sort((a, b) => ((JSON.stringify(a).length * 31 + seed) % 7) - ((JSON.stringify(b).length * 31 + seed) % 7));
        assert.equal(check({ order: 'any', calls: shuffled }, calls).passed, true);
        assert.equal(check({ order: 'in-order', max: calls.length, never: ['absent.*'], counts: NAMES.map((name) => ({ name, min: calls.filter((c) => c.name === name).length, max: calls.filter((c) => c.name === name).length })) }, calls).passed, true);
      }),
    );
  });

  test('in-order agrees with a brute-force subsequence search; any with a brute-force assignment', () => {
    fc.assert(
      fc.property(trajectoryArb, fc.array(expectedArb, { maxLength: 4 }), (calls, expected) => {
        const ordered = (from: number, j: number): boolean => j === expected.length || calls.some((c, k) => k >= from && fits(expected[j], c) && ordered(k + 1, j + 1));
        assert.equal(check({ order: 'in-order', calls: expected }, calls).passed, ordered(0, 0));
        let assignable = expected.length === 0;
        for (const order of permutations(calls.map((_, k) => k))) {
          if (expected.length <= order.length && expected.every((e, j) => fits(e, calls[order[j]]))) assignable = true;
          if (assignable) break;
        }
        assert.equal(check({ order: 'any', calls: expected }, calls).passed, assignable);
      }),
      { numRuns: 150 },
    );
  });

  test('a `where:` over the call agrees with name and argument matching, whatever the keys (`__proto__`, `constructor`)', () => {
    const range = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 }, offset: 0, endOffset: 0 };
    fc.assert(
      fc.property(trajectoryArb, fc.constantFrom(...NAMES), fc.constantFrom('path', '__proto__', 'constructor', 'n'), (calls, name, key) => {
        const source = `call.name == ${JSON.stringify(name)} && ${JSON.stringify(key)} in call.args`;
        const byWhere = check({ order: 'any', calls: [{ name: '*', where: { source, range } }] }, calls).passed;
        assert.equal(byWhere, calls.some((c) => c.name === name && Object.hasOwn(c.args as object, key)), source);
      }),
    );
  });

  test('changing one call of an exact trajectory fails it at that call, and the message says so', () => {
    fc.assert(
      fc.property(fc.array(callArb, { minLength: 1, maxLength: 6 }), fc.nat(), (calls, pick) => {
        const at = pick % calls.length;
        const self = calls.map((c) => ({ name: c.name, args: c.args }));
        const changed = calls.map((c, i) => (i === at ? call(c.name, { ...(c.args as object), extra: true }) : c));
        const outcome = check({ order: 'exact', calls: self }, changed);
        assert.equal(outcome.passed, false);
        assert.ok(outcome.message!.startsWith(`call ${at + 1} was ${calls[at].name} `), outcome.message);
        assert.match(outcome.message!, /an extra `extra`/);
      }),
    );
  });
});

// ─── End to end ──────────────────────────────────────────────────────────────

describe('tools: in tests — a case run against the real filesystem server', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-trajectory-'));
    writeFileSync(path.join(folder, 'a.txt'), 'alpha');
    writeFileSync(path.join(folder, 'notes.md'), 'beta');
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  test('the calls of a `tool:` step and a tool loop are the trajectory; a failure names the call', async () => {
    const file = (name: string) => JSON.stringify(path.join(folder, name));
    const text = `name: Reader
mcp:
  files:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(FILESYSTEM_BIN)}, ${JSON.stringify(folder)}]
    approval: { read_only: allow }
steps:
  - id: listing
    tool: files.list_directory
    with: { path: ${JSON.stringify(folder)} }
  - id: answer
    prompt: Read the notes.
    tools: [files.read_text_file]
    mock:
      - $tool_calls: [{ name: files.read_text_file, arguments: { path: ${file('notes.md')} } }]
      - read it
tests:
  - name: reads the notes
    expect:
      - tools:
          - files.list_directory
          - { tool: files.read_text_file, where: 'call.args.path.endsWith(".md") && call.result.content == "beta"' }
      - tools: { never: [files.write_file], max: 2 }
      - cel: tools.size() == 2 && tools[1].step == "answer"
  - name: expects the wrong file
    expect:
      - tools: { calls: [{ tool: files.read_text_file, args: { path: ${file('a.txt')} } }], order: any }
`;
    const { workflow } = loadWorkflow(text, path.join(folder, 'reader.workflow.yaml'));
    assert.ok(workflow);
    const suite = parseTests(text, 'reader.workflow.yaml', workflow);
    assert.deepEqual(suite.problems, []);
    const tools = async () =>
      new ToolSession({
        open: async () => {
          const opened = await createRunTools({ workflow: workflow.mcp!, workspaceFolder: folder, env: {} });
          return { host: opened.host, policy: opened.policy };
        },
      });
    const [good, bad] = await Promise.all(
      (suite.entries as TestCase[]).map((entry) => runCase({ workflow, caseName: entry.name, inputs: entry.inputs, mocks: entry.mocks, expect: entry.expect }, { store: undefined, providers: mockProviders, tools })),
    );
    assert.deepEqual(good.expectations.filter((e) => !e.passed).map((e) => e.message), []);
    assert.equal(good.passed, true);
    assert.equal(bad.passed, false);
    assert.equal(
      bad.expectations[0].message,
      `expected call 1, files.read_text_file with {"path":${file('a.txt')}}, was not made; call 2, files.read_text_file {"path":${file('notes.md')}}, differs: \`path\` is ${file('notes.md')}, expected ${file('a.txt')}`,
    );
  });
});

describe('tools: in tests — orchestrate test', () => {
  test('case runs call tools with the consent --allow-tools gives, and the trajectory is checked', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-trajectory-cli-'));
    try {
      writeFileSync(
        path.join(dir, 'echo.workflow.yaml'),
        `name: Echo
mcp:
  everything:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(EVERYTHING_BIN)}, stdio]
steps:
  - id: say
    tool: everything.echo
    with: { message: "{{ inputs.word }}" }
inputs:
  word: { default: hi }
tests:
  - name: echoes the word
    inputs: { word: owl }
    expect:
      - tools: [{ tool: everything.echo, args: { message: owl } }]
      - tools: { never: ["everything.toggle*"], max: 1 }
`,
      );
      const env = { ORCHESTRATE_USE_MOCK: 'true' };
      const denied = await runCli(['test', 'echo.workflow.yaml', '--no-trace'], { cwd: dir, env });
      assert.equal(denied.code, 1);
      assert.match(denied.err, /--allow-tools/);
      const allowed = await runCli(['test', 'echo.workflow.yaml', '--no-trace', '--allow-tools', 'everything.echo'], { cwd: dir, env });
      assert.equal(allowed.code, 0, allowed.err);
      assert.match(allowed.out, /1 passed, 0 failed of 1/);
      const bad = await runCli(['test', 'echo.workflow.yaml', '--allow-tools', 'everything.'], { cwd: dir, env });
      assert.equal(bad.code, 2);
      assert.match(bad.err, /--allow-tools: tool pattern `everything.` needs a server and a tool/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
