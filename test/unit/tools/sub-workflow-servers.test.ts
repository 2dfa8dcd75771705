// A sub-workflow's own `mcp:` servers at run time: they start for it (not only the top
// workflow's), a parent's server of the same name never shadows the child's, approval
// rules stay with the workflow that wrote them, `${workflowFolder}` is the child's
// folder, and every server of every workflow in the run is gone when the run ends.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadFromDisk } from '../../../src/cli/files';
import type { RunEvent } from '../../../src/engine';
import { MockProvider } from '../../../src/engine/providers/mock';
import { headlessToolSession } from '../../../src/engine/run/headless-tools';
import { run } from '../../support/engine';
import { FILESYSTEM_BIN } from './servers';

let root: string;
let parentDir: string;
let childDir: string;

before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'orchestrate-sub-servers-'));
  parentDir = path.join(root, 'parent');
  childDir = path.join(root, 'parent', 'child');
  mkdirSync(childDir, { recursive: true });
  writeFileSync(path.join(parentDir, 'a.txt'), 'from the parent folder');
  writeFileSync(path.join(childDir, 'b.txt'), 'from the child folder');
});
after(() => rmSync(root, { recursive: true, force: true }));

const server = (folder: string, approval: string) => `
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(FILESYSTEM_BIN)}, ${JSON.stringify(folder)}]
    approval: ${approval}`;

function write(file: string, text: string): string {
  writeFileSync(file, text);
  return file;
}

/** Filesystem server processes whose arguments name a folder under the test's root. */
function serversUnderRoot(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes(FILESYSTEM_BIN) && args.some((arg) => arg.startsWith(root))) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

function ofType<T extends RunEvent['type']>(events: RunEvent[], type: T): Extract<RunEvent, { type: T }>[] {
  return events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
}

describe('a sub-workflow’s own MCP servers', () => {
  test('its `files` is its own (the parent’s `files` serves another folder), its other servers start, its tools loop uses them, and nothing is left after the run', async () => {
    write(
      path.join(childDir, 'child.workflow.yaml'),
      `name: child
mcp:
  files:${server('${workflowFolder}', '{ read_only: allow }')}
  notes:${server(childDir, 'allow')}
steps:
  - id: read
    tool: files.read_text_file
    with: { path: ${JSON.stringify(path.join(childDir, 'b.txt'))} }
  - id: listed
    tool: notes.list_directory
    with: { path: ${JSON.stringify(childDir)} }
  - id: loop
    prompt: Read b.txt
    tools: [files.read_text_file]
    mock:
      - $tool_calls: [{ name: files.read_text_file, arguments: { path: ${JSON.stringify(path.join(childDir, 'b.txt'))} } }]
      - "{{ 'done' }}"
outputs:
  text: "{{ steps.read.output.content }}"
  listed: "{{ steps.listed.output.content }}"
`,
    );
    const parentFile = write(
      path.join(parentDir, 'parent.workflow.yaml'),
      `name: parent
mcp:
  files:${server(path.join(parentDir, 'nothing-here'), '{ read_only: allow }')}
steps:
  - id: sub
    uses: child/child.workflow.yaml
outputs:
  text: "{{ steps.sub.output.text }}"
  listed: "{{ steps.sub.output.listed }}"
`,
    );
    mkdirSync(path.join(parentDir, 'nothing-here'), { recursive: true });
    const workflow = await loadFromDisk(parentFile, parentFile);
    const tools = await headlessToolSession({ workspaceFolder: root, env: {} });
    const { result, events } = await run(workflow, new MockProvider(), { tools, loadWorkflow: loadFromDisk });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(result.outputs.text, 'from the child folder');
    assert.match(String(result.outputs.listed), /b\.txt/);
    const started = ofType(events, 'tool.started');
    assert.deepEqual(
      started.map((e) => [e.stepId, e.server, e.tool]),
      [
        ['sub/read', 'files', 'read_text_file'],
        ['sub/listed', 'notes', 'list_directory'],
        ['sub/loop', 'files', 'read_text_file'],
      ],
    );
    const loopResult = ofType(events, 'tool.completed').find((e) => e.stepId === 'sub/loop');
    assert.equal(loopResult?.result.text, 'from the child folder');
    assert.deepEqual(serversUnderRoot(), []);
  });

  test('approval rules stay with the workflow that wrote them: the parent’s `allow` does not let the child write', async () => {
    const target = path.join(childDir, 'written.txt');
    write(
      path.join(childDir, 'writer.workflow.yaml'),
      `name: child writer
mcp:
  files:${server(childDir, '{ read_only: allow }')}
steps:
  - id: write
    tool: files.write_file
    with: { path: ${JSON.stringify(target)}, content: child }
`,
    );
    const parentFile = write(
      path.join(parentDir, 'allowing.workflow.yaml'),
      `name: allowing parent
mcp:
  files:${server(childDir, 'allow')}
steps:
  - id: own
    tool: files.list_allowed_directories
    with: {}
  - id: sub
    uses: child/writer.workflow.yaml
`,
    );
    const workflow = await loadFromDisk(parentFile, parentFile);
    const { result } = await run(workflow, new MockProvider(), { tools: await headlessToolSession({ workspaceFolder: root, env: {} }), loadWorkflow: loadFromDisk });
    assert.equal(result.status, 'failed');
    assert.match(result.error?.message ?? '', /sub-workflow `child\/writer\.workflow\.yaml` failed: .*files\.write_file` needs consent.*--allow-tools files\.write_file/);
    assert.equal(existsSync(target), false);
    assert.deepEqual(serversUnderRoot(), []);

    // The person's --allow-tools is consent for the whole run, sub-workflows included.
    const allowed = await run(workflow, new MockProvider(), { tools: await headlessToolSession({ workspaceFolder: root, env: {}, allowTools: ['files.write_file'] }), loadWorkflow: loadFromDisk });
    assert.equal(allowed.result.status, 'succeeded', JSON.stringify(allowed.result.error));
    assert.equal(readFileSync(target, 'utf8'), 'child');
    assert.deepEqual(serversUnderRoot(), []);
  });

  test('a workflow used twice in a run shares one connection per server; a replay starts none', async () => {
    write(
      path.join(childDir, 'lister.workflow.yaml'),
      `name: lister
mcp:
  files:${server(childDir, '{ read_only: allow }')}
steps:
  - id: list
    tool: files.list_directory
    with: { path: ${JSON.stringify(childDir)} }
outputs:
  listing: "{{ steps.list.output.content }}"
`,
    );
    const parentFile = write(
      path.join(parentDir, 'twice.workflow.yaml'),
      `name: twice
steps:
  - id: first
    uses: child/lister.workflow.yaml
  - id: second
    uses: child/lister.workflow.yaml
outputs:
  same: "{{ steps.first.output.listing == steps.second.output.listing }}"
`,
    );
    const workflow = await loadFromDisk(parentFile, parentFile);
    const pids = new Set<number>();
    const onEvent = (event: RunEvent) => {
      if (event.type === 'tool.completed') for (const pid of serversUnderRoot()) pids.add(pid);
    };
    const { result, events } = await run(workflow, new MockProvider(), { tools: await headlessToolSession({ workspaceFolder: root, env: {} }), loadWorkflow: loadFromDisk, onEvent });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(result.outputs.same, true);
    assert.equal(pids.size, 1);
    assert.deepEqual(serversUnderRoot(), []);

    const trace = path.join(root, 'twice.jsonl');
    const replayed = await run(workflow, new MockProvider(), {
      tools: await headlessToolSession({ workspaceFolder: root, env: {}, recorded: { events, file: trace }, replayOnly: true }),
      loadWorkflow: loadFromDisk,
      onEvent: (event) => {
        if (event.type === 'tool.started') assert.deepEqual(serversUnderRoot(), []);
      },
    });
    assert.equal(replayed.result.status, 'succeeded', JSON.stringify(replayed.result.error));
    assert.deepEqual(ofType(replayed.events, 'tool.started').map((e) => e.approvedBy), ['recorded', 'recorded']);
  });
});
