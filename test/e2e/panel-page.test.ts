// The built run panel in headless Chromium, outside VS Code (test/support/panel-page.ts):
// the real bundle under the host's CSP, fed the messages the host sends. Quick to run; the
// suite through code-server (panel-workbench.ts) covers the panel inside VS Code.
//
//   npm run build && node --import tsx --test test/e2e/panel-page.test.ts
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowDebugger } from '../../src/debug/workflow-debugger';
import type { RunEvent } from '../../src/engine';
import { MockProvider } from '../../src/engine/providers/mock';
import { notification, type CommandMessage, type RequestMessage } from '../../src/shared/protocol';
import { outlineOf } from '../../src/shared/workflow-outline';
import { gridRowOf, type EvalGridRow } from '../../src/shared/eval-grid';
import { evalJobs, parseTests, runEval, type CaseResult } from '../../src/engine/eval';
import { loadWorkflow } from '../../src/engine/load';
import { createResolver } from '../../src/engine/providers';
import { load, run } from '../support/engine';
import { HOSTILE_REPLY, isReady, openPanelPage, sessionHeader, type PanelPage } from '../support/panel-page';

const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'test-results', 'screenshots');


const workflow = load(`
  name: Panel page test
  model: { provider: mock, name: mock-model }
  steps:
    - id: draft
      name: Draft
      prompt: Write a draft about owls
      mock: "A **draft** about owls."
    - id: fan
      parallel:
        - { id: left, prompt: left, mock: "L" }
        - id: right
          prompt: right
          output: { schema: { type: object, properties: { verdict: { type: string }, score: { type: integer } } } }
          mock: { verdict: ok, score: 3 }
    - id: hostile
      name: Hostile
      prompt: hostile
      mock: ${JSON.stringify(HOSTILE_REPLY)}
    - id: each
      for_each: '["a", "b"]'
      prompt: "item {{ item }}"
      mock: "out {{ item }}"
`);

const header = (runId: string) => sessionHeader(runId);

describe('the run panel in a browser', () => {
  let panel: PanelPage;
  let events: RunEvent[];

  before(async () => {
    events = (await run(workflow, new MockProvider())).events;
    panel = await openPanelPage({ theme: 'dark' });
    await panel.waitForSent(isReady);
  });

  after(async () => {
    await panel?.close();
  });

  test('posts `ready` once its script runs, and nothing else before the host speaks', () => {
    assert.deepEqual(panel.sent.map((m) => m.method), ['ready']);
  });

  test('shows a run as it streams, step by step, then each output', async () => {
    const runId = events[0].runId;
    const outline = outlineOf(workflow);
    const firstCompleted = events.findIndex((e) => e.type === 'step.completed');
    await panel.post(notification('run/show', { header: header(runId), outline, events: events.slice(0, firstCompleted) }));
    const { frame } = panel;
    await frame.locator('li.step[data-step-id="draft"][data-status="running"]').waitFor();
    await frame.locator('#output .streamed').filter({ hasText: 'A **draft** about owls.' }).waitFor();
    await panel.post(notification('run/events', { runId, events: events.slice(firstCompleted) }));
    await frame.locator('#run-view[data-status="succeeded"]').waitFor();
    for (const id of ['draft', 'fan', 'left', 'right', 'hostile', 'each']) {
      assert.equal(await frame.locator(`li.step[data-step-id="${id}"]`).getAttribute('data-status'), 'succeeded', id);
    }
    await frame.locator('li.step[data-step-id="draft"]').click();
    await frame.locator('#output[data-step-id="draft"] .markdown strong').filter({ hasText: 'draft' }).waitFor();
    // A structured output is a tree, not markdown.
    await frame.locator('li.step[data-step-id="right"]').click();
    await frame.locator('#output .json-tree .json-key').filter({ hasText: 'verdict' }).waitFor();
    // A map lists its items.
    await frame.locator('li.step[data-step-id="each"]').click();
    await frame.locator('#output[data-step-id="each"] .items > li[data-index="1"]').waitFor();
    assert.equal(await frame.locator('#output .items > li').count(), 2);
    // The graph is drawn, with a node per step.
    await frame.locator('#graph g.node[data-step-id="hostile"]').waitFor();
    assert.equal(await frame.locator('#graph g.node').count(), outline.steps.length);
  });

  test('hostile model output is inert in the DOM', async () => {
    const { frame } = panel;
    await frame.locator('li.step[data-step-id="hostile"]').click();
    await frame.locator('#output[data-step-id="hostile"] .markdown').waitFor();
    const findings = await frame.evaluate(() => {
      const output = document.querySelector('#output')!;
      return {
        imgWithOnerror: document.querySelectorAll('img[onerror]').length,
        anyImg: output.querySelectorAll('img').length,
        scripts: output.querySelectorAll('script').length,
        svgs: output.querySelectorAll('svg').length,
        svgScripts: document.querySelectorAll('svg script').length,
        jsHrefs: [...document.querySelectorAll('[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href') ?? '')).length,
        eventAttributes: [...output.querySelectorAll('*')].flatMap((el) => el.getAttributeNames().filter((n) => n.startsWith('on'))).length,
        links: [...output.querySelectorAll('a[data-href]')].map((a) => a.getAttribute('data-href')),
        pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
        text: output.textContent ?? '',
      };
    });
    assert.deepEqual(
      { ...findings, text: undefined, links: undefined },
      { imgWithOnerror: 0, anyImg: 0, scripts: 0, svgs: 0, svgScripts: 0, jsHrefs: 0, eventAttributes: 0, pwned: null, text: undefined, links: undefined },
    );
    // Only http(s) links are live (linkify also turns the escaped SVG's xmlns URL into one).
    assert.ok(findings.links.includes('https://example.com/docs'));
    assert.ok(findings.links.every((href) => /^https?:\/\//.test(href ?? '')), findings.links.join(', '));
    assert.match(findings.text, /<img src=x onerror=/, 'the escaped markup is shown as text');
    await panel.page.screenshot({ path: path.join(SCREENSHOTS, 'panel-page-hostile-dark.png') });
  });

  test('links go to the host, which opens only http(s)', async () => {
    const { frame } = panel;
    await frame.locator('#output a[data-href="https://example.com/docs"]').click();
    const open = await panel.waitForSent((m): m is CommandMessage<'link/open'> => m.type === 'command' && m.method === 'link/open');
    assert.equal(open.params.href, 'https://example.com/docs');
    // markdown-it does not make `javascript:` a link at all: it stays text, and clicking it sends nothing.
    await frame.locator('#output p').filter({ hasText: 'click me' }).click();
    await frame.locator('#output a[data-href="https://example.com/docs"]').focus();
    await panel.page.keyboard.press('Enter');
    await panel.waitForSent((m): m is CommandMessage<'link/open'> => m.type === 'command' && m.method === 'link/open' && panel.sent.filter((x) => x.method === 'link/open').length === 2);
    assert.deepEqual(
      panel.sent.filter((m) => m.method === 'link/open').map((m) => (m.method === 'link/open' ? m.params.href : '')),
      ['https://example.com/docs', 'https://example.com/docs'],
    );
  });

  test('controls are requests with ids; the reply settles them', async () => {
    const runId = events[0].runId;
    // A live, paused run: Resume and Next step are offered.
    await panel.post(notification('run/show', { header: header(runId), outline: outlineOf(workflow), events: [events[0], { runId, seq: 2, time: events[0].time, type: 'run.paused', nextStepId: 'draft' }] }));
    const { frame } = panel;
    await frame.locator('li.step[data-step-id="draft"][data-status="paused"]').waitFor();
    await frame.locator('#btn-step').click();
    const req = await panel.waitForSent((m): m is RequestMessage<'run/control'> => m.type === 'request' && m.method === 'run/control');
    assert.deepEqual(req.params, { runId, action: 'step' });
    await panel.post({ type: 'response', id: req.id, method: 'run/control', ok: true, result: { accepted: true } });
    await frame.locator('#btn-step:not([disabled])').waitFor();
  });

  test('highlights the step the debugger holds in the list and the graph; stepping moves it, continuing clears it', async () => {
    // The real debugger holds a real run; the page gets the run's events as the host forwards them.
    const seen: RunEvent[] = [];
    const waiters: { match: (e: RunEvent) => boolean; resolve: () => void }[] = [];
    const heldAt = (stepId: string) =>
      new Promise<void>((resolve) => {
        const match = (e: RunEvent) => e.type === 'step.held' && e.stepId === stepId;
        if (seen.some(match)) resolve();
        else waiters.push({ match, resolve });
      });
    const debug = new WorkflowDebugger({ stopped: () => undefined, threadStarted: () => undefined, threadExited: () => undefined, output: () => undefined });
    debug.stopAtFirstStep('entry');
    const running = run(workflow, new MockProvider(), {
      inspector: debug,
      onEvent: (e) => {
        seen.push(e);
        debug.onEvent(e);
        for (const w of waiters.filter((x) => x.match(e))) w.resolve();
      },
    });
    let posted = 0;
    const forward = async () => {
      const batch = seen.slice(posted);
      posted = seen.length;
      await panel.post(notification('run/events', { runId: seen[0].runId, events: batch }));
    };
    const { frame } = panel;
    const stopOf = (stepId: string) => debug.stops().find((s) => s.point.ref.stepId === stepId)!;

    await heldAt('draft');
    posted = seen.length;
    await panel.post(notification('run/show', { header: header(seen[0].runId), outline: outlineOf(workflow), events: seen.slice(0, posted) }));
    await frame.locator('li.step.debug-held[data-step-id="draft"][data-held="step"]').filter({ hasText: 'paused in debugger before this step' }).waitFor();
    await frame.locator('#graph g.node.debug-held[data-step-id="draft"]').waitFor();
    await frame.locator('#run-status').filter({ hasText: 'paused in debugger' }).waitFor();
    // The panel's controls act on a held run: Resume and Next step are offered.
    await frame.locator('#btn-resume').waitFor();
    assert.equal(await frame.locator('.debug-held').count(), 2, 'one row and one node');
    await panel.page.screenshot({ path: path.join(SCREENSHOTS, 'panel-page-debug-held-dark.png') });

    // Step over: the highlight moves to the next step.
    debug.resume(stopOf('draft').lane.id, 'next');
    await heldAt('fan');
    await forward();
    await frame.locator('li.step.debug-held[data-step-id="fan"][aria-selected="true"]').waitFor();
    await frame.locator('li.step[data-step-id="draft"][data-status="succeeded"]:not(.debug-held)').waitFor();
    await frame.locator('#graph g.node.debug-held[data-step-id="fan"]').waitFor();
    assert.equal(await frame.locator('#graph g.node[data-step-id="draft"].debug-held').count(), 0);

    // Step into the parallel: the branch that stops is highlighted, in the list and as its node in the graph.
    debug.resume(stopOf('fan').lane.id, 'in');
    await heldAt('left');
    await forward();
    await frame.locator('li.step.debug-held[data-step-id="left"][data-held="step"][aria-selected="true"]').waitFor();
    await frame.locator('.detail-header .debug-held-fact').filter({ hasText: 'paused in debugger before this step' }).waitFor();
    await frame.locator('#graph g.node.debug-held[data-step-id="left"]').waitFor();
    await frame.locator('li.step[data-step-id="fan"]:not(.debug-held)').waitFor();

    // Continue: the run goes to its end and nothing is highlighted any more.
    debug.resumeAll();
    await running;
    await forward();
    await frame.locator('#run-view[data-status="succeeded"]').waitFor();
    assert.equal(await frame.locator('.debug-held').count(), 0);
    assert.equal((await frame.locator('#run-status').textContent())?.trim(), 'succeeded');
  });

  test('keyboard: arrows move through the steps, Enter asks the host to reveal the step', async () => {
    const { frame, page } = panel;
    await frame.locator('li.step[data-step-id="draft"]').click();
    await page.keyboard.press('ArrowDown');
    await frame.locator('li.step[data-step-id="fan"][aria-selected="true"]').waitFor();
    await page.keyboard.press('Enter');
    const reveal = await panel.waitForSent((m): m is CommandMessage<'step/reveal'> => m.type === 'command' && m.method === 'step/reveal' && m.params.stepId === 'fan');
    assert.equal(reveal.params.stepId, 'fan');
  });

  test('compare mode shows both runs step by step and diffs an opened step', async () => {
    const changed = load(`
      name: Panel page test
      model: { provider: mock, name: mock-model }
      steps:
        - id: draft
          name: Draft
          prompt: Write a draft about cats
          mock: "A **draft** about cats."
    `);
    const other = (await run(changed, new MockProvider())).events;
    const side = (ev: RunEvent[], wf: typeof workflow) => ({ header: { ...header(ev[0].runId), live: false }, outline: outlineOf(wf), events: ev });
    await panel.post(notification('compare/show', { left: side(events, workflow), right: side(other, changed) }));
    const { frame } = panel;
    await frame.locator('#compare-view').waitFor();
    await frame.locator('tr.compare-row[data-step-id="draft"]').click();
    await frame.locator('.diff-line.diff-del').filter({ hasText: 'owls' }).first().waitFor();
    await frame.locator('.diff-line.diff-add').filter({ hasText: 'cats' }).first().waitFor();
    await panel.page.screenshot({ path: path.join(SCREENSHOTS, 'panel-page-compare-dark.png') });
  });

  test('the page ran under the host’s CSP without a single violation or error', () => {
    assert.deepEqual(panel.cspViolations, []);
    assert.deepEqual(panel.errors, []);
  });
});

describe('the run panel in a light theme', () => {
  test('renders a finished run (screenshot)', async () => {
    const events = (await run(workflow, new MockProvider())).events;
    const panel = await openPanelPage({ theme: 'light' });
    try {
      await panel.waitForSent(isReady);
      await panel.post(notification('run/show', { header: header(events[0].runId), outline: outlineOf(workflow), events }));
      await panel.frame.locator('li.step[data-step-id="draft"]').click();
      await panel.frame.locator('#graph g.node').first().waitFor();
      await panel.page.screenshot({ path: path.join(SCREENSHOTS, 'panel-page-light.png') });
      assert.deepEqual(panel.cspViolations, []);
    } finally {
      await panel.close();
    }
  });
});

describe('an eval\'s results grid in the panel', () => {
  const GRID_WORKFLOW = `name: Grid test
model: { provider: mock, name: mock-model }
inputs:
  topic: { default: owls }
steps:
  - id: write
    prompt: "Write about {{ inputs.topic }}"
    mock: "A **note** about {{ inputs.topic }}."
outputs:
  text: "{{ steps.write.output }}"
tests:
  - name: owls
    inputs: { topic: owls }
    expect:
      - contains: owls
        output: text
      - budget: { tokens: 100000 }
  - name: cats
    inputs: { topic: cats }
    expect:
      - contains: owls
        output: text
      - budget: { tokens: 100000 }
  - name: hostile
    mock: { write: ${JSON.stringify(HOSTILE_REPLY)} }
    expect:
      - matches: "never there"
        output: text
`;
  let panel: PanelPage;
  let rows: EvalGridRow[];

  before(async () => {
    const { workflow } = loadWorkflow(GRID_WORKFLOW, 'grid.workflow.yaml');
    const suite = parseTests(GRID_WORKFLOW, 'grid.workflow.yaml', workflow);
    assert.deepEqual(suite.problems, []);
    const results: CaseResult[] = [];
    await runEval(evalJobs({ suites: [{ file: 'grid.workflow.yaml', absolute: '/grid.workflow.yaml', workflow: workflow!, text: GRID_WORKFLOW, entries: suite.entries }], repeat: 1 }), {
      concurrency: 1,
      providers: createResolver({}, { forceMock: true }),
      store: undefined,
      onResult: (result) => results.push(result),
    });
    // The host knows each case run's trace; the grid only learns that there is one.
    rows = results.map((result) => gridRowOf({ ...result, trace: `/traces/${result.runId}.jsonl` }));
    panel = await openPanelPage({ theme: 'dark' });
    await panel.waitForSent(isReady);
  });

  after(async () => {
    await panel?.close();
  });

  test('rows stream in: a row per case run, a column per expectation, the failure in the cell\'s tooltip', async () => {
    const { frame } = panel;
    await panel.post(notification('eval/show', { id: 'e1', title: 'Tests of grid.workflow.yaml', rows: rows.slice(0, 1), running: true }));
    await frame.locator('#eval-grid[data-running="true"] tr.eval-row').first().waitFor();
    await panel.post(notification('eval/rows', { id: 'e1', rows: rows.slice(1), running: false }));
    await frame.locator('#eval-grid[data-running="false"]').waitFor();
    assert.equal(await frame.locator('tr.eval-row').count(), 3);
    assert.deepEqual(await frame.locator('.eval-table thead th').allTextContents(), ['Case', 'contains output text', 'budget', 'matches output text', 'Output', 'Score', 'Tokens', 'Cost', 'Time']);
    assert.deepEqual(await frame.locator('tr.eval-row').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-passed'))), ['true', 'false', 'false']);
    const cats = frame.locator(`tr.eval-row[data-key="${cssString(rows[1].key)}"]`);
    assert.equal(await cats.locator('td.expectation-cell').first().getAttribute('title'), 'contains output text: output text does not contain "owls"; it is "A **note** about cats."');
    assert.equal(await cats.locator('td.score-cell').textContent(), '1/2');
    assert.match((await frame.locator('#eval-totals').textContent()) ?? '', /3 runs\s*1 passed\s*2 failed/);
    // The output is rendered as the run view renders a step's: sanitized markdown.
    await frame.locator(`tr.eval-row[data-key="${cssString(rows[0].key)}"] .output-cell .markdown strong`).filter({ hasText: 'note' }).waitFor();
    await panel.page.screenshot({ path: path.join(SCREENSHOTS, 'panel-page-eval-grid-dark.png') });
  });

  test('hostile model output in a row is inert', async () => {
    const { frame } = panel;
    const hostile = frame.locator(`tr.eval-row[data-key="${cssString(rows[2].key)}"]`);
    await hostile.locator('.row-toggle').click();
    await frame.locator('.eval-detail-row .eval-output .markdown').waitFor();
    const findings = await frame.evaluate(() => {
      const grid = document.querySelector('#eval-grid')!;
      return {
        images: grid.querySelectorAll('img').length,
        scripts: grid.querySelectorAll('script').length,
        svgs: grid.querySelectorAll('svg').length,
        jsHrefs: [...grid.querySelectorAll('[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href') ?? '')).length,
        eventAttributes: [...grid.querySelectorAll('*')].flatMap((el) => el.getAttributeNames().filter((n) => n.startsWith('on'))).length,
        pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
        detail: grid.querySelector('.eval-detail-row .failure-message')?.textContent ?? '',
      };
    });
    assert.deepEqual({ ...findings, detail: undefined }, { images: 0, scripts: 0, svgs: 0, jsHrefs: 0, eventAttributes: 0, pwned: null, detail: undefined });
    assert.match(findings.detail, /does not match \/never there\/; it is "Some \*\*bold\*\*/);
  });

  test('only failures; a click on a row opens its run, and the run offers the way back', async () => {
    const { frame } = panel;
    await frame.locator('#only-failures').click();
    await frame.locator('tr.eval-row[data-passed="true"]').waitFor({ state: 'detached' });
    assert.equal(await frame.locator('tr.eval-row').count(), 2);
    await frame.locator(`tr.eval-row[data-key="${cssString(rows[1].key)}"] td.score-cell`).click();
    const open = await panel.waitForSent((m): m is CommandMessage<'eval/open'> => m.type === 'command' && m.method === 'eval/open');
    assert.deepEqual(open.params, { id: 'e1', key: rows[1].key });
    // The host answers with the case's run, marked as opened from the grid.
    const runEvents = (await run(workflow, new MockProvider())).events;
    await panel.post(notification('run/show', { header: { ...header(runEvents[0].runId), live: false }, outline: outlineOf(workflow), events: runEvents, fromEval: { id: 'e1', title: 'Tests of grid.workflow.yaml' } }));
    await frame.locator('#run-view').waitFor();
    await frame.locator('#eval-back').click();
    const back = await panel.waitForSent((m): m is CommandMessage<'eval/back'> => m.type === 'command' && m.method === 'eval/back');
    assert.deepEqual(back.params, { id: 'e1' });
    // Keyboard: Enter on a focused row opens it too.
    await panel.post(notification('eval/show', { id: 'e1', title: 'Tests of grid.workflow.yaml', rows, running: false }));
    await frame.locator(`tr.eval-row[data-key="${cssString(rows[2].key)}"]`).focus();
    await panel.page.keyboard.press('Enter');
    await panel.waitForSent((m): m is CommandMessage<'eval/open'> => m.type === 'command' && m.method === 'eval/open' && m.params.key === rows[2].key);
  });

  test('the grid ran under the host\'s CSP without a violation or error', () => {
    assert.deepEqual(panel.cspViolations, []);
    assert.deepEqual(panel.errors, []);
  });
});

/** A key (JSON text) as a CSS attribute-selector value. */
function cssString(text: string): string {
  return text.replace(/["\\]/g, '\\$&');
}
