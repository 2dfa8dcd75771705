// The run panel's step list under a person's hands, in headless Chromium with real mouse
// events (test/support/panel-page.ts): reordering steps by drag-and-drop (a row dropped on
// another asks the host to move that step in the workflow file), and a panel squeezed
// beside an editor and under the debug console, where every row must stay clickable.
//
//   npm run build && node --import tsx --test test/e2e/panel-layout.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunEvent, Workflow } from '../../src/engine';
import { MockProvider } from '../../src/engine/providers/mock';
import { notification, type CommandMessage, type WebviewToHost } from '../../src/shared/protocol';
import { outlineOf } from '../../src/shared/workflow-outline';
import { load, run } from '../support/engine';
import { isReady, openPanelPage, sessionHeader, type PanelPage, type PanelPageOptions } from '../support/panel-page';

const workflow = load(`
  name: Drag test
  model: { provider: mock, name: mock-model }
  steps:
    - { id: draft, prompt: Draft, mock: d }
    - { id: review, prompt: Review, mock: r }
    - { id: final, prompt: Final, mock: f }
`);

/** A new panel page showing a finished mock run of `workflow`. */
async function showFinishedRun(flow: Workflow, options: PanelPageOptions): Promise<{ panel: PanelPage; events: RunEvent[] }> {
  const { events } = await run(flow, new MockProvider());
  const panel = await openPanelPage(options);
  await panel.waitForSent(isReady);
  await panel.post(notification('run/show', { header: sessionHeader(events[0].runId, false), outline: outlineOf(flow), events }));
  await panel.frame.locator('#run-view[data-status="succeeded"]').waitFor();
  return { panel, events };
}

const isMove = (m: WebviewToHost): m is CommandMessage<'step/move'> => m.type === 'command' && m.method === 'step/move';

describe('reordering steps by drag-and-drop in the panel', () => {
  let panel: PanelPage;
  let events: RunEvent[];

  before(async () => {
    ({ panel, events } = await showFinishedRun(workflow, { theme: 'dark' }));
  });

  after(async () => {
    await panel?.close();
  });

  test('rows of steps in the file can be dragged', async () => {
    for (const id of ['draft', 'review', 'final']) {
      assert.equal(await panel.frame.locator(`li.step[data-step-id="${id}"]`).getAttribute('draggable'), 'true', id);
    }
  });

  test('dropping `final` on `draft` asks the host to move it there, once', async () => {
    const { frame } = panel;
    await frame.locator('li.step[data-step-id="final"]').dragTo(frame.locator('li.step[data-step-id="draft"]'));
    const move = await panel.waitForSent(isMove);
    assert.deepEqual(move.params, { stepId: 'final', toStepId: 'draft' });
    assert.equal(panel.sent.filter(isMove).length, 1);
  });

  test('dropping a row on itself, or text from elsewhere, asks for nothing', async () => {
    const { frame, page } = panel;
    const before = panel.sent.filter(isMove).length;
    await frame.locator('li.step[data-step-id="review"]').dragTo(frame.locator('li.step[data-step-id="review"]'));
    // Text dragged in from outside the list carries no step: a synthetic drop with only text/plain.
    await page.evaluate(() => {
      const target = document.querySelector('li.step[data-step-id="draft"]');
      const data = new DataTransfer();
      data.setData('text/plain', 'final');
      target?.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
      target?.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    // A message posted after the drops proves the page handled them (messages are in order).
    await panel.post(notification('run/events', { runId: events[0].runId, events: [] }));
    await frame.locator('#run-view').waitFor();
    assert.equal(panel.sent.filter(isMove).length, before);
  });
});

describe('a narrow, short panel (beside an editor, under the debug console)', () => {
  // Tall enough a graph to fill the panel if nothing bounds it.
  const long = load(`
    name: Long
    model: { provider: mock, name: mock-model }
    steps:
      - { id: draft, prompt: a, mock: a }
      - { id: review, prompt: b, mock: b }
      - { id: polish, prompt: c, mock: c }
      - { id: check, prompt: d, mock: d }
      - { id: publish, prompt: e, mock: e }
      - { id: final, prompt: f, mock: f }
  `);
  for (const [width, height] of [
    [525, 400],
    [525, 600],
    [420, 330],
  ] as const) {
    test(`${width}×${height}: the graph leaves the step list room, and a click on any row lands on it`, async () => {
      const { panel } = await showFinishedRun(long, { theme: 'dark', viewport: { width, height } });
      try {
        const { frame } = panel;
        for (const id of ['draft', 'review', 'check', 'final']) {
          // Playwright refuses a click that another element would receive.
          await frame.locator(`li.step[data-step-id="${id}"]`).click({ timeout: 5000 });
          await frame.locator(`li.step[data-step-id="${id}"][aria-selected="true"]`).waitFor();
        }
      } finally {
        await panel.close();
      }
    });
  }
});
