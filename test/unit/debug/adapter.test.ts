/**
 * The debug adapter as a DAP client sees it: `orchestrate debug-adapter` spawned over
 * stdio, driven by @vscode/debugadapter-testsupport's DebugClient, runs on the mock
 * provider (no delays but where a call must be in flight).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { dedent } from '../../support/engine';

const ENTRY = path.join(__dirname, 'adapter-entry.ts');
const TSX = pathToFileURL(require.resolve('tsx')).href;

const MAIN = dedent(`
  name: debug me
  inputs:
    topic: { default: owls }
  steps:
    - id: draft
      prompt: Write about {{ inputs.topic }}
      mock: "a draft about {{ inputs.topic }}"
    - id: each
      for_each: "[1, 2, 3]"
      concurrency: 1
      set: "{{ item * 10 }}"
    - id: fork
      parallel:
        - id: left
          set: L
        - id: right
          set: R
    - id: sub
      uses: child.workflow.yaml
      with:
        text: "{{ steps.draft.output }}"
    - id: final
      set: "{{ steps.draft.output }}!"
  outputs:
    result: "{{ steps.final.output }}"
`);

const CHILD = dedent(`
  name: child
  inputs:
    text: {}
  steps:
    - id: inner
      set: "inner {{ inputs.text }}"
  outputs:
    said: "{{ steps.inner.output }}"
`);

/** 1-based line of `- id: <id>` in the main workflow. */
const lineOf = (text: string, id: string) => text.split('\n').findIndex((line) => line.trim() === `- id: ${id}`) + 1;

let dir: string;
let main: string;
let child: string;
let dc: DebugClient;
let output: string[];

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-dap-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  main = path.join(dir, 'main.workflow.yaml');
  child = path.join(dir, 'child.workflow.yaml');
  writeFileSync(main, MAIN);
  writeFileSync(child, CHILD);
  dc = new DebugClient('node', ENTRY, 'orchestrate', { cwd: dir, env: { ...process.env, NODE_OPTIONS: `--import ${TSX}`, ORCHESTRATE_USE_MOCK: 'true' } });
  dc.defaultTimeout = 8000;
  output = [];
  dc.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
  await dc.start();
});
afterEach(() => dc.stop().catch(() => undefined));

type Bp = DebugProtocol.SourceBreakpoint & { file?: string };

/** Launches with breakpoints (and exception filters) set during configuration; resolves with the first stop and the verified breakpoints. */
async function launch(args: Record<string, unknown>, breakpoints: Bp[] = [], filters?: string[]) {
  const stopped = dc.waitForEvent('stopped');
  const placed: DebugProtocol.Breakpoint[] = [];
  await Promise.all([
    dc.waitForEvent('initialized').then(async () => {
      const byFile = new Map<string, Bp[]>();
      for (const bp of breakpoints) byFile.set(bp.file ?? main, [...(byFile.get(bp.file ?? main) ?? []), bp]);
      for (const [file, list] of byFile) placed.push(...(await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: list.map(({ file: _file, ...bp }) => bp) })).body.breakpoints);
      if (filters) await dc.setExceptionBreakpointsRequest({ filters });
      await dc.configurationDoneRequest();
    }),
    dc.launch({ workflow: main, mock: true, trace: false, ...args }),
  ]);
  return { stopped: stopped as Promise<DebugProtocol.StoppedEvent>, placed };
}

async function variablesOf(frameId: number, scopeName: string): Promise<Record<string, DebugProtocol.Variable>> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const scope = scopes.find((s) => s.name === scopeName);
  assert.ok(scope, `no scope ${scopeName} in ${scopes.map((s) => s.name).join(', ')}`);
  const variables = (await dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
  return Object.fromEntries(variables.map((v) => [v.name, v]));
}

async function topFrame(threadId: number) {
  return (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
}

/** Call before the request that lets the run finish: DebugClient drops events nobody waits for yet. */
function ending(): Promise<string> {
  return dc.waitForEvent('terminated').then(() => output.join(''));
}

describe('orchestrate debug-adapter', () => {
  test('stops at a step breakpoint with inputs and steps as variables; evaluate, setVariable, continue', async () => {
    const line = lineOf(MAIN, 'final');
    const { stopped, placed } = await launch({}, [{ line: line + 1 }, { line: 1 }]);
    assert.equal(placed[0].verified, true);
    assert.equal(placed[0].line, line, 'verified to the step’s id line');
    assert.equal(placed[1].verified, false);
    assert.match(placed[1].message ?? '', /not in a step/);
    const stop = await stopped;
    assert.equal(stop.body.reason, 'breakpoint');
    const frame = await topFrame(stop.body.threadId!);
    assert.equal(frame.line, line);
    assert.equal(frame.source?.path, main);
    const inputs = await variablesOf(frame.id, 'Inputs');
    assert.equal(inputs.topic.value, '"owls"');
    const steps = await variablesOf(frame.id, 'Steps');
    const draft = (await dc.variablesRequest({ variablesReference: steps.draft.variablesReference })).body.variables;
    assert.equal(draft.find((v) => v.name === 'output')?.value, '"a draft about owls"');
    const evaluated = await dc.evaluateRequest({ expression: 'size(steps.each.output) * 2', frameId: frame.id, context: 'repl' });
    assert.equal(evaluated.body.result, '6');
    const completions = await dc.completionsRequest({ text: 'steps.dr', column: 9, frameId: frame.id });
    assert.deepEqual(completions.body.targets.map((t) => t.label), ['draft']);
    await dc.setVariableRequest({ variablesReference: steps.draft.variablesReference, name: 'output', value: '"what if"' });
    const done = ending();
    await dc.continueRequest({ threadId: stop.body.threadId! });
    assert.match(await done, /succeeded\n\s+result: "what if!"/);
  });

  test('conditional, hit-count and log breakpoints; items are threads', async () => {
    const each = lineOf(MAIN, 'each');
    const draft = lineOf(MAIN, 'draft');
    const { stopped } = await launch({}, [{ line: draft, logMessage: 'drafting {{ inputs.topic }}' }, { line: each, condition: 'item == 3' }]);
    const stop = await stopped;
    assert.equal(stop.body.reason, 'breakpoint');
    const threads = (await dc.threadsRequest()).body.threads;
    const thread = threads.find((t) => t.id === stop.body.threadId);
    assert.equal(thread?.name, 'each[2]');
    const frame = await topFrame(stop.body.threadId!);
    const here = await variablesOf(frame.id, 'Step each');
    assert.equal(here.item.value, '3');
    assert.equal(here.index.value, '2');
    assert.ok(output.join('').includes('drafting owls\n'), 'the log point wrote its message');
    // Hit count: a new breakpoint set mid-run stops on its second hit only.
    await dc.setBreakpointsRequest({ source: { path: main }, breakpoints: [{ line: lineOf(MAIN, 'left'), hitCondition: '1' }] });
    const next = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: stop.body.threadId! });
    const second = await next;
    assert.equal((await dc.threadsRequest()).body.threads.find((t) => t.id === second.body.threadId)?.name, 'branch left');
    const done = ending();
    await dc.continueRequest({ threadId: second.body.threadId! });
    assert.match(await done, /succeeded/);
  });

  test('step in: into a branch, into a sub-workflow (frames for both files), into the model call', async () => {
    const { stopped } = await launch({ stopOnEntry: true });
    const entry = await stopped;
    assert.equal(entry.body.reason, 'entry');
    // Into the model call of `draft`: the rendered request is a variable.
    let next = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.stepInRequest({ threadId: entry.body.threadId! });
    const call = await next;
    const callFrames = (await dc.stackTraceRequest({ threadId: call.body.threadId! })).body.stackFrames;
    assert.match(callFrames[0].name, /^model call/);
    const request = (await variablesOf(callFrames[0].id, 'Model call')).request;
    const messages = (await dc.variablesRequest({ variablesReference: request.variablesReference })).body.variables.find((v) => v.name === 'messages');
    const first = (await dc.variablesRequest({ variablesReference: messages!.variablesReference })).body.variables[0];
    const content = (await dc.variablesRequest({ variablesReference: first.variablesReference })).body.variables.find((v) => v.name === 'content');
    assert.equal(content?.value, '"Write about owls"');
    // Over the model call and the loop, to `fork`; then into its first branch.
    for (const expected of ['each', 'fork']) {
      next = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      await dc.nextRequest({ threadId: 1 });
      assert.equal((await topFrame((await next).body.threadId!)).name, expected);
    }
    next = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.stepInRequest({ threadId: 1 });
    const branch = await next;
    assert.notEqual(branch.body.threadId, 1);
    assert.deepEqual((await dc.stackTraceRequest({ threadId: branch.body.threadId! })).body.stackFrames.map((f) => f.name), ['left', 'fork']);
    // Over the rest of the branch (its sibling ran meanwhile): back in the run's lane, at `sub`.
    next = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.nextRequest({ threadId: branch.body.threadId! });
    const sub = await next;
    assert.equal(sub.body.threadId, 1);
    assert.equal((await topFrame(1)).name, 'sub');
    next = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.stepInRequest({ threadId: 1 });
    const inner = await next;
    const frames = (await dc.stackTraceRequest({ threadId: inner.body.threadId! })).body.stackFrames;
    assert.deepEqual(frames.map((f) => [f.name, f.source?.path]), [['inner', child], ['sub', main]]);
    assert.equal(frames[0].line, lineOf(CHILD, 'inner'));
    const inputs = await variablesOf(frames[0].id, 'Inputs');
    assert.equal(inputs.text.value, '"a draft about owls"');
    const done = ending();
    await dc.continueRequest({ threadId: 1 });
    assert.match(await done, /succeeded/);
  });

  test('a breakpoint in a sub-workflow file stops there', async () => {
    const { stopped } = await launch({}, [{ line: lineOf(CHILD, 'inner') + 1, file: child }]);
    const stop = await stopped;
    const frames = (await dc.stackTraceRequest({ threadId: stop.body.threadId! })).body.stackFrames;
    assert.deepEqual(frames.map((f) => f.name), ['inner', 'sub']);
    const done = ending();
    await dc.continueRequest({ threadId: 1 });
    await done;
  });

  test('restart frame re-runs the step as the file now reads; a broken edit is shown instead', async () => {
    const { stopped } = await launch({}, [{ line: lineOf(MAIN, 'final') }]);
    const stop = await stopped;
    let frame = await topFrame(stop.body.threadId!);
    writeFileSync(main, MAIN.replace('set: "{{ steps.draft.output }}!"', 'set: "{{ steps.nope.output }}"'));
    await assert.rejects(dc.restartFrameRequest({ frameId: frame.id }), /problems/);
    writeFileSync(main, MAIN.replace('set: "{{ steps.draft.output }}!"', 'set: "{{ steps.draft.output }}, edited"'));
    const restarted = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.restartFrameRequest({ frameId: frame.id });
    const again = await restarted;
    assert.equal(again.body.reason, 'restart');
    frame = await topFrame(again.body.threadId!);
    assert.equal(frame.name, 'final');
    const done = ending();
    await dc.continueRequest({ threadId: 1 });
    assert.match(await done, /result: "a draft about owls, edited"/);
  });

  test('stops on a failed check and on a failure; disconnect mid-call cancels the run', async () => {
    writeFileSync(main, dedent(`
      name: slow
      steps:
        - id: judge
          set: bad
          check: output == "good"
        - id: call
          prompt: hello
    `).replace('- id: judge', '- id: judge\n    on_failure: call'));
    const { stopped } = await launch({ mockDelay: 600000, trace: true }, [], ['check', 'model-call']);
    const check = await stopped;
    assert.equal(check.body.reason, 'exception');
    const info = await dc.exceptionInfoRequest({ threadId: check.body.threadId! });
    assert.equal(info.body.exceptionId, 'check');
    const beforeCall = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: 1 });
    assert.match((await beforeCall).body.description ?? '', /before the model call/);
    await dc.continueRequest({ threadId: 1 });
    await dc.disconnectRequest({});
    const runs = path.join(dir, '.orchestrate', 'runs');
    const traces = readdirSync(runs, { recursive: true }).map(String).filter((f) => f.endsWith('.jsonl') && !f.endsWith('index.jsonl'));
    const events = readFileSync(path.join(runs, traces.sort().at(-1)!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; stepId?: string });
    assert.equal(events.at(-1)?.type, 'run.cancelled');
    assert.ok(events.some((e) => e.type === 'step.failed' && e.stepId === 'call'), 'the call in flight is cancelled');
  });

  test('a workflow with problems does not launch: the error lists them as file:line:col', async () => {
    writeFileSync(main, MAIN.replace('{{ inputs.topic }}', '{{ inputs.topik }}'));
    await Promise.all([dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()), assert.rejects(dc.launch({ workflow: main, mock: true, trace: false }), /main\.workflow\.yaml:\d+:\d+: .*topik/)]);
    await assert.rejects(dc.launch({ workflow: path.join(dir, 'missing.workflow.yaml'), mock: true }), /missing\.workflow\.yaml/);
  });
});
