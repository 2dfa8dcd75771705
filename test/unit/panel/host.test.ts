import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { runWorkflow } from '../../../src/engine';
import { createResolver } from '../../../src/engine/providers';
import { MockProvider } from '../../../src/engine/providers/mock';
import { readTrace, runView, TraceStore } from '../../../src/engine/trace';
import { PanelChannel, type ChannelHandlers, type WebviewPort } from '../../../src/extension/panel/channel';
import { contentSecurityPolicy, newNonce, panelHtml } from '../../../src/extension/panel/html';
import { loadTraceRun, traceShowParams } from '../../../src/extension/panel/panel-content';
import { exportRunJson, exportRunMarkdown, fence } from '../../../src/extension/runs-view/run-export';
import { command, request, type HostToWebview } from '../../../src/shared/protocol';
import { runViewModelOf } from '../../../src/shared/run-view-model';
import { outlineOf } from '../../../src/shared/workflow-outline';
import { dedent, load } from '../../support/engine';

/** A webview stand-in: what the host posted, and a way to deliver what the webview sends. */
class FakeWebview implements WebviewPort {
  posted: HostToWebview[] = [];
  private listener: ((message: unknown) => void) | undefined;
  postMessage(message: unknown): Promise<boolean> {
    this.posted.push(message as HostToWebview);
    return Promise.resolve(true);
  }
  onDidReceiveMessage(listener: (message: unknown) => void) {
    this.listener = listener;
    return { dispose: () => (this.listener = undefined) };
  }
  send(message: unknown): void {
    this.listener?.(message);
  }
}

function handlers(overrides: Partial<ChannelHandlers> = {}): ChannelHandlers & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    onReady: () => log.push('ready'),
    onCommand: (m) => log.push(`command ${m.method}`),
    onInvalid: () => log.push('invalid'),
    requests: {
      'run/control': ({ action }) => {
        if (action === 'stop') throw new Error('already ended');
        return { accepted: true };
      },
      'run/rerun': async ({ stepId }) => ({ runId: `new-from-${stepId}` }),
      'clipboard/write': () => ({}),
    },
    ...overrides,
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('host channel', () => {
  test('posts nothing before the webview is ready; every ready asks for everything again', () => {
    const webview = new FakeWebview();
    const h = handlers();
    const channel = new PanelChannel(webview, h);
    assert.equal(channel.notify('panel/empty', { message: 'x' }), false);
    assert.equal(webview.posted.length, 0);
    webview.send(command('ready', {}));
    assert.equal(channel.notify('panel/empty', { message: 'x' }), true);
    assert.equal(webview.posted.length, 1);
    channel.reset();
    assert.equal(channel.notify('panel/empty', { message: 'y' }), false);
    webview.send(command('ready', {}));
    assert.deepEqual(h.log, ['ready', 'ready']);
  });

  test('every request gets exactly one response: the result, or the error', async () => {
    const webview = new FakeWebview();
    new PanelChannel(webview, handlers());
    webview.send(command('ready', {}));
    webview.send(request(1, 'run/rerun', { runId: 'r', stepId: 'b' }));
    webview.send(request(2, 'run/control', { runId: 'r', action: 'stop' }));
    webview.send(request(3, 'run/control', { runId: 'r', action: 'pause' }));
    await settle();
    const responses = webview.posted.filter((m) => m.type === 'response');
    assert.deepEqual(
      responses.sort((a, b) => a.id - b.id),
      [
        { type: 'response', id: 1, method: 'run/rerun', ok: true, result: { runId: 'new-from-b' } },
        { type: 'response', id: 2, method: 'run/control', ok: false, error: 'already ended' },
        { type: 'response', id: 3, method: 'run/control', ok: true, result: { accepted: true } },
      ],
    );
  });

  test('malformed messages reach no handler', () => {
    const webview = new FakeWebview();
    const h = handlers();
    new PanelChannel(webview, h);
    webview.send({ type: 'command', method: 'step/reveal', params: { stepId: 42 } });
    webview.send({ type: 'request', method: 'run/control', params: { runId: 'r', action: 'pause' } });
    webview.send('ready');
    assert.deepEqual(h.log, ['invalid', 'invalid', 'invalid']);
    assert.equal(webview.posted.length, 0);
  });

  test('after dispose, nothing is received or posted', () => {
    const webview = new FakeWebview();
    const h = handlers();
    const channel = new PanelChannel(webview, h);
    webview.send(command('ready', {}));
    channel.dispose();
    webview.send(command('ready', {}));
    assert.equal(channel.notify('panel/empty', { message: 'x' }), false);
    assert.deepEqual(h.log, ['ready']);
  });
});

describe('panel HTML', () => {
  test('locked down: default-src none, scripts only by nonce, styles and fonts from the extension only', () => {
    const csp = contentSecurityPolicy('https://x.vscode-cdn.net', 'abc');
    assert.deepEqual(csp.split('; '), [
      "default-src 'none'",
      "script-src 'nonce-abc'",
      'style-src https://x.vscode-cdn.net',
      'font-src https://x.vscode-cdn.net',
      'img-src https://x.vscode-cdn.net',
      "base-uri 'none'",
      "form-action 'none'",
    ]);
    assert.ok(!/unsafe-inline|unsafe-eval|https:(?!\/\/x)|\*/.test(csp));
  });

  test('the one script carries the nonce; no inline script or handler', () => {
    const nonce = newNonce();
    const html = panelHtml({ cspSource: 'https://c', nonce, scriptUri: 'https://c/panel.js', styleUri: 'https://c/panel.css', codiconUri: 'https://c/codicon.css', title: 'T' });
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0][1], new RegExp(`nonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}"`));
    assert.equal(scripts[0][2].trim(), '', 'no inline script');
    assert.ok(!/\son[a-z]+=/i.test(html), 'no inline event handler');
    assert.match(html, /id="vscode-codicon-stylesheet"/);
  });

  test('a fresh 128-bit nonce each time', () => {
    const nonces = new Set(Array.from({ length: 100 }, newNonce));
    assert.equal(nonces.size, 100);
    for (const nonce of nonces) assert.equal(Buffer.from(nonce, 'base64').length, 16);
  });
});

const WORKFLOW = dedent(`
  name: exported
  model: { provider: mock, name: m }
  steps:
    - id: a
      name: First
      prompt: "Say hi"
      mock: "Hi \`\`\` there"
    - id: b
      prompt: "Structured"
      output: { schema: { type: object, properties: { n: { type: integer } } } }
    - { id: c, prompt: x, mock: { $error: "server on fire" } }
`);

async function recordRun(): Promise<{ dir: string; traceFile: string; workflowFile: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrate-panel-test-'));
  const workflowFile = path.join(dir, 'exported.workflow.yaml');
  writeFileSync(workflowFile, WORKFLOW);
  const workflow = load(WORKFLOW, workflowFile);
  const store = new TraceStore(path.join(dir, '.orchestrate'));
  const recorder = store.begin({ workflowFile, workflowName: workflow.name, workflowText: WORKFLOW });
  await runWorkflow(workflow, { providers: createResolver({ mock: new MockProvider() }), runId: recorder.runId, onEvent: recorder.onEvent });
  await recorder.close();
  return { dir, traceFile: recorder.file, workflowFile };
}

describe('past runs', () => {
  test('a trace opens as the same panel state a live run ends in', async () => {
    const { dir, traceFile } = await recordRun();
    try {
      const run = await loadTraceRun(traceFile);
      assert.equal(run.interrupted, false);
      assert.ok(run.workflow);
      const params = traceShowParams(run);
      assert.equal(params.header.live, false);
      assert.equal(params.header.canRerun, true);
      assert.deepEqual(params.header.source, { kind: 'trace', traceFile });
      const state = runViewModelOf(params.outline, params.events);
      assert.equal(state.status, 'failed');
      assert.deepEqual(state.order, ['a', 'b', 'c']);
      assert.equal(state.steps.c.status, 'failed');
      assert.deepEqual(params.outline, outlineOf(run.workflow));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a trace whose workflow is gone still opens, with a warning and no re-run', async () => {
    const { dir, traceFile, workflowFile } = await recordRun();
    try {
      rmSync(workflowFile);
      const run = await loadTraceRun(traceFile);
      assert.equal(run.workflow, undefined);
      assert.equal(traceShowParams(run).header.canRerun, false);
      assert.match(run.warnings.join('\n'), /is gone or does not load/);
      assert.deepEqual(runViewModelOf(run.outline, run.trace.events).order, ['a', 'b', 'c']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a trace cut off mid-run is shown as interrupted', async () => {
    const { dir, traceFile } = await recordRun();
    try {
      const { readFileSync } = await import('node:fs');
      const lines = readFileSync(traceFile, 'utf8').trimEnd().split('\n');
      writeFileSync(traceFile, lines.slice(0, 3).join('\n') + '\n');
      const run = await loadTraceRun(traceFile);
      assert.equal(run.interrupted, true);
      assert.equal(traceShowParams(run).interrupted, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('export: JSON carries every step execution; Markdown fences model output safely', async () => {
    const { dir, traceFile } = await recordRun();
    try {
      const view = runView(await readTrace(traceFile));
      const json = JSON.parse(exportRunJson(view));
      assert.equal(json.format, 'orchestrate-run');
      assert.equal(json.run.runId, view.runId);
      assert.deepEqual(json.run.steps.map((s: { stepId: string }) => s.stepId), ['a', 'b', 'c']);
      assert.equal(json.run.steps[0].call.messages[0].content, 'Say hi');
      const md = exportRunMarkdown(view);
      assert.match(md, /^# exported: run /);
      assert.match(md, /## First \(`a`\)/);
      assert.match(md, /\*\*Prompt\*\*\n\n```\nSay hi\n```/);
      // The output holds ``` itself, so its fence is longer.
      assert.match(md, /````\nHi ``` there\n````/);
      assert.match(md, /```json\n\{\n {2}"n": 1\n\}\n```/);
      assert.match(md, /server on fire/);
      assert.match(md, /\*\*Status:\*\* failed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fence is always longer than any backtick run inside', () => {
    assert.equal(fence('x'), '```\nx\n```');
    assert.equal(fence('a ```` b', 'md'), '`````md\na ```` b\n`````');
  });
});
