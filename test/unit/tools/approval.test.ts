// The approval rules, with real tool calls: a write tool never runs without consent.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { SimulatedClock } from '../../../src/engine';
import {
  ApprovalPolicy,
  invokeTool,
  McpToolHost,
  parseApproval,
  parsePatternList,
  ToolCallError,
  ToolPattern,
  type ApprovalPolicyOptions,
  type ConsentAnswer,
  type ConsentRequest,
  type ToolEventPayload,
  type ToolInfo,
} from '../../../src/engine/tools';
import { filesystemServer } from './servers';

const folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-approval-'));
const declaration = filesystemServer('files', folder);
const host = new McpToolHost({ servers: (name) => (name === 'files' ? declaration : undefined), env: {}, workspaceFolder: folder });
after(() => host.close());

let calls = 0;
/** Asks to write a fresh file through the real filesystem server; reports what happened. */
async function write(policy: ApprovalPolicy): Promise<{ written: boolean; events: ToolEventPayload[]; error?: ToolCallError }> {
  const file = path.join(folder, `out-${++calls}.txt`);
  const events: ToolEventPayload[] = [];
  let error: ToolCallError | undefined;
  try {
    await invokeTool(
      { callId: `write#${calls}`, server: 'files', tool: 'write_file', arguments: { path: file, content: 'written' }, signal: new AbortController().signal },
      { host, policy, clock: new SimulatedClock(0), emit: (e) => events.push(e) },
    );
  } catch (e) {
    if (!(e instanceof ToolCallError)) throw e;
    error = e;
  }
  return { written: existsSync(file) && readFileSync(file, 'utf8') === 'written', events, error };
}

function consent(...answers: ConsentAnswer[]): { port: ApprovalPolicyOptions['consent']; asked: ConsentRequest[] } {
  const asked: ConsentRequest[] = [];
  return {
    asked,
    port: async (request) => {
      asked.push(request);
      return answers.shift() ?? 'deny';
    },
  };
}

describe('a write tool never runs without consent', () => {
  test('headless, with no rule and no --allow-tools: denied, with how to allow it, and no tool.started', async () => {
    const { written, events, error } = await write(new ApprovalPolicy());
    assert.equal(written, false);
    assert.equal(error?.code, 'tool-denied');
    assert.match(error!.message, /tool `files.write_file` needs consent and nobody can give it here: pass `--allow-tools files.write_file` \(or `--allow-tools files.\*`\)/);
    assert.deepEqual(events.map((e) => e.type), ['tool.failed']);
  });

  test('the readOnlyHint of a write tool does not pre-approve it, even on a trusted server', async () => {
    const { written } = await write(new ApprovalPolicy({ trustReadOnlyHints: new Set(['files']) }));
    assert.equal(written, false);
  });

  test('the person refuses: not written; allows once: written, and asked again next time', async () => {
    const { port, asked } = consent('deny', 'once');
    const policy = new ApprovalPolicy({ consent: port });
    assert.equal((await write(policy)).written, false);
    const allowed = await write(policy);
    assert.equal(allowed.written, true);
    assert.equal((allowed.events[0] as { approvedBy?: string }).approvedBy, 'consent-once');
    assert.equal((await write(policy)).written, false);
    assert.equal(asked.length, 3);
    assert.equal(asked[0]!.tool.qualifiedName, 'files.write_file');
    assert.match(String(asked[0]!.arguments.path), /out-\d+\.txt$/);
  });

  test('"for this run" is asked once and then remembered', async () => {
    const { port, asked } = consent('run');
    const policy = new ApprovalPolicy({ consent: port });
    assert.equal((await write(policy)).written, true);
    assert.equal((await write(policy)).written, true);
    assert.equal(asked.length, 1);
  });

  test('--allow-tools allows exactly what it matches', async () => {
    assert.equal((await write(new ApprovalPolicy({ allowed: parsePatternList(['files.write_file']) }))).written, true);
    assert.equal((await write(new ApprovalPolicy({ allowed: parsePatternList(['files.*']) }))).written, true);
    assert.equal((await write(new ApprovalPolicy({ allowed: parsePatternList(['files.read_*,other.*']) }))).written, false);
  });

  test('a deny rule outranks --allow-tools and the person', async () => {
    const rules = parseApproval('files', { tools: { write_file: 'deny' } }).rules;
    const { port, asked } = consent('run');
    const { written, error } = await write(new ApprovalPolicy({ rules, allowed: parsePatternList(['*']), consent: port }));
    assert.equal(written, false);
    assert.match(error!.message, /denied by the workflow's approval rule `files.write_file: deny`/);
    assert.equal(asked.length, 0);
  });

  test('nothing runs in an untrusted workspace, whatever allows it', async () => {
    const rules = parseApproval('files', 'allow').rules;
    const { written, error } = await write(new ApprovalPolicy({ trusted: false, rules, allowed: parsePatternList(['*']), consent: consent('run').port }));
    assert.equal(written, false);
    assert.match(error!.message, /never run in an untrusted workspace/);
  });

  test('an allow rule in the workflow runs it without asking; events carry arguments, result and who allowed it', async () => {
    const { written, events } = await write(new ApprovalPolicy({ rules: parseApproval('files', { default: 'ask', tools: { write_file: 'allow' } }).rules }));
    assert.equal(written, true);
    assert.deepEqual(events.map((e) => e.type), ['tool.started', 'tool.completed']);
    const [started, completed] = events as [Extract<ToolEventPayload, { type: 'tool.started' }>, Extract<ToolEventPayload, { type: 'tool.completed' }>];
    assert.equal(started.approvedBy, 'policy');
    assert.equal((started.arguments.value as { content: string }).content, 'written');
    assert.equal(completed.result.isError, false);
    assert.equal(completed.callId, started.callId);
    assert.equal(completed.latencyMs, 0, 'the simulated clock did not move');
  });
});

describe('read-only tools', () => {
  const tool = (annotations: ToolInfo['annotations']): ToolInfo => ({ server: 'files', name: 'read_text_file', qualifiedName: 'files.read_text_file', inputSchema: { type: 'object' }, annotations });

  test('run without asking only where the workflow trusts the server’s hints', async () => {
    const trusting = new ApprovalPolicy({ trustReadOnlyHints: new Set(['files']) });
    assert.deepEqual(await trusting.authorize(tool({ readOnlyHint: true }), {}), { allowed: true, by: 'read-only' });
    assert.equal((await trusting.authorize(tool({ readOnlyHint: true, destructiveHint: true }), {})).allowed, false);
    assert.equal((await trusting.authorize(tool({}), {})).allowed, false);
    assert.equal((await new ApprovalPolicy().authorize(tool({ readOnlyHint: true }), {})).allowed, false);
    assert.equal((await new ApprovalPolicy({ trustReadOnlyHints: new Set(['other']) }).authorize(tool({ readOnlyHint: true }), {})).allowed, false);
  });

  test('an explicit `ask` for the tool outranks the hint', async () => {
    const parsed = parseApproval('files', { read_only: 'allow', tools: { read_text_file: 'ask' } });
    const policy = new ApprovalPolicy({ rules: parsed.rules, trustReadOnlyHints: parsed.trustReadOnlyHints ? new Set(['files']) : undefined });
    assert.equal((await policy.authorize(tool({ readOnlyHint: true }), {})).allowed, false);
  });
});

describe('approval rules', () => {
  test('the most specific rule wins, and at equal rank the strictest', () => {
    const rules = [
      { pattern: ToolPattern.parse('*'), decision: 'allow' as const },
      { pattern: ToolPattern.parse('files.*'), decision: 'ask' as const },
      { pattern: ToolPattern.parse('files.read_*'), decision: 'allow' as const },
      { pattern: ToolPattern.parse('files.write_file'), decision: 'deny' as const },
      { pattern: ToolPattern.parse('files.write_file'), decision: 'allow' as const },
    ];
    const policy = new ApprovalPolicy({ rules });
    assert.equal(policy.ruleFor('files', 'write_file')?.decision, 'deny');
    assert.equal(policy.ruleFor('files', 'read_text_file')?.decision, 'allow');
    assert.equal(policy.ruleFor('files', 'move_file')?.decision, 'ask');
    assert.equal(policy.ruleFor('git', 'status')?.decision, 'allow');
  });

  test('a deny anywhere that matches is never beaten by a broader allow (property)', () => {
    const name = fc.stringMatching(/^[a-z_]{1,8}$/);
    fc.assert(
      fc.asyncProperty(name, name, fc.constantFrom('allow', 'ask'), async (server, tool, broader) => {
        const policy = new ApprovalPolicy({
          rules: [
            { pattern: ToolPattern.parse(`${server}.*`), decision: broader },
            { pattern: ToolPattern.parse(`${server}.${tool}`), decision: 'deny' },
          ],
          allowed: parsePatternList(['*']),
          consent: async () => 'run',
        });
        const verdict = await policy.authorize({ server, name: tool, qualifiedName: `${server}.${tool}`, inputSchema: {} }, {});
        return verdict.allowed === false;
      }),
    );
  });

  test('parseApproval reports mistakes in the author’s words', () => {
    assert.deepEqual(parseApproval('files', 'sometimes').problems, ['`mcp.files.approval` must be `allow`, `ask` or `deny`, not `sometimes`']);
    assert.deepEqual(parseApproval('files', { defualt: 'ask' }).problems, ['`mcp.files.approval` has no key `defualt`; it takes `default`, `read_only` and `tools`']);
    assert.deepEqual(parseApproval('files', { read_only: 'yes' }).problems, ["`mcp.files.approval.read_only` must be `allow` (trust the server's readOnlyHint) or `ask`"]);
    assert.deepEqual(parseApproval('files', { tools: { write_file: true } }).problems, ['`mcp.files.approval.tools.write_file` must be `allow`, `ask` or `deny`, not `true`']);
    assert.deepEqual(parseApproval('files', { tools: ['a'] }).problems, ['`mcp.files.approval.tools` must map tool names (or patterns like `read_*`) to allow, ask or deny']);
  });
});
