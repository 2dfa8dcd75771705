// A `tool:` step's `with:` keys reach the tool as written: dashes, dots, spaces and
// prototype names (`constructor`, `__proto__`, `toString`) are plain data on the wire,
// and no object of ours gains a property. A server spoken to by hand
// (test/support/echo-arguments-server.ts) answers with the raw arguments it got.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkWorkflow } from '../../../src/engine';
import { headlessToolSession } from '../../../src/engine/run/headless-tools';
import { load, run, ScriptedProvider } from '../../support/engine';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const TSX = pathToFileURL(require.resolve('tsx', { paths: [REPO_ROOT] })).href;
const ECHO = path.join(REPO_ROOT, 'test/support/echo-arguments-server.ts');

const MCP = `mcp:
  echo:
    command: ${JSON.stringify(process.execPath)}
    args: [--import, ${JSON.stringify(TSX)}, ${JSON.stringify(ECHO)}]
    approval: allow`;

const noModel = new ScriptedProvider(() => 'unused');

/** Runs a one-step workflow calling `echo.echo_arguments` with this `with:` (YAML flow text); the arguments the server got. */
async function sent(withYaml: string, inputs: Record<string, unknown> = {}): Promise<{ raw: string; parsed: Record<string, unknown> }> {
  const workflow = load(`name: echo
inputs:
  n: { type: number, default: 3 }
${MCP}
steps:
  - id: call
    tool: echo.echo_arguments
    with: ${withYaml}
`);
  const { result } = await run(workflow, noModel, { inputs, tools: await headlessToolSession({ workspaceFolder: REPO_ROOT, env: {} }) });
  assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
  const raw = String(result.steps.call.output);
  return { raw, parsed: JSON.parse(raw) as Record<string, unknown> };
}

describe('with: keys of a tool step', () => {
  test('keys with dashes, dots and spaces, and prototype names, arrive unchanged and as plain data', async () => {
    const { raw, parsed } = await sent(
      `{ "max-results": "{{ inputs.n }}", "a.b": 1, "with space": 2, constructor: c, __proto__: { polluted: true }, toString: t, hasOwnProperty: h, nested: { __proto__: { polluted: true }, "x-y": 1, prototype: p } }`,
    );
    assert.deepEqual(Object.keys(parsed), ['max-results', 'a.b', 'with space', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'nested']);
    assert.equal(parsed['max-results'], 3);
    assert.equal(parsed.constructor, 'c');
    assert.equal(parsed.toString, 't');
    assert.match(raw, /"__proto__":\{"polluted":true\}/);
    assert.match(raw, /"nested":\{"__proto__":\{"polluted":true\},"x-y":1,"prototype":"p"\}/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  });

  test('any key the YAML can hold is sent as written (property)', async () => {
    const key = fc.oneof(fc.constantFrom('constructor', '__proto__', 'toString', 'valueOf', 'prototype', 'max-results', '$ref', ''), fc.string({ maxLength: 12 }));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key, { minLength: 1, maxLength: 6 }), async (keys) => {
        const withYaml = `{ ${keys.map((k, i) => `${JSON.stringify(k)}: ${i}`).join(', ')} }`;
        const { parsed } = await sent(withYaml);
        // As a set: JavaScript lists integer-like keys ("0") first, whatever the order written.
        assert.deepEqual(Object.keys(parsed).sort(), [...keys].sort());
        keys.forEach((k, i) => assert.equal(Object.getOwnPropertyDescriptor(parsed, k)?.value, i));
      }),
      { numRuns: 8 },
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('the file checks clean with such keys on a tool step', () => {
    const toolStep = checkWorkflow(
      `name: echo\n${MCP}\nsteps:\n  - id: call\n    tool: echo.echo_arguments\n    with: { "max-results": 3, constructor: c, __proto__: p }\n`,
      'echo.workflow.yaml',
    );
    assert.deepEqual(
      toolStep.problems.filter((p) => p.severity === 'error'),
      [],
    );
  });
});
