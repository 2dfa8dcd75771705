// The run panel inside a real VS Code (code-server 4.100.3 + Debian's Chromium, see
// test/integration/server.ts), driven as a person drives it: commands from the palette,
// clicks in the panel's iframe, the runs view in the activity bar. Every wait is on a DOM
// condition, never a fixed sleep.
//
//   npm run build && node --import tsx --test test/e2e/panel-workbench.test.ts
//
// Needs .ci/setup-vscode-server.sh (once). Screenshots go to test-results/screenshots/.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { openWorkbench, prepareWorkspace, REPO_ROOT, screenshot, webviewFrames, type Workbench } from '../integration/server';
import { HOSTILE_REPLY } from '../support/panel-page';

const SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');
const WAIT = 45_000;
const WORKFLOW_FILE = 'panel-e2e.workflow.yaml';


const WORKFLOW = `# Written by test/e2e/panel-workbench.test.ts
name: Panel e2e
model: { provider: mock, name: mock-model }
steps:
  - id: draft
    name: Draft
    prompt: Write a draft about owls
    mock: "A **draft** about owls, see [the docs](https://example.com/owls)."
  - id: review
    name: Review
    prompt: "Review: {{ steps.draft.output }}"
    mock: "Looks good."
  - id: hostile
    name: Hostile
    prompt: Say something hostile
    mock: ${JSON.stringify(HOSTILE_REPLY)}
  - id: final
    name: Final
    prompt: "Final words after {{ steps.review.output }}"
    mock: "Done."
`;

/** The run panel's content frame (replaced when the webview reloads, so looked up each time). */
async function panelFrame(page: Page, selector = '#run-panel', timeoutMs = WAIT): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of webviewFrames(page)) {
      try {
        if ((await frame.locator(selector).count()) > 0) return frame;
      } catch {
        // The frame navigated or went away: look again.
      }
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`no run panel frame shows ${selector} within ${timeoutMs / 1000}s`);
}

/** Waits for a selector inside the panel, following the frame if the webview reloads. */
async function inPanel(page: Page, selector: string, timeoutMs = WAIT): Promise<Frame> {
  const frame = await panelFrame(page, selector, timeoutMs);
  return frame;
}

async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input[type="text"]');
  await input.waitFor({ state: 'visible', timeout: WAIT });
  await input.fill(`>${title}`);
  // The row whose label is exactly the title: "Color Theme" also matches "Browse Color Themes…".
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.getByText(title, { exact: true }) }).first();
  await row.waitFor({ state: 'visible', timeout: WAIT });
  await row.click();
  // The command has taken the palette: it closed, or the command opened its own quick pick
  // (Color Theme does), which replaces the `>title` text.
  await page.waitForFunction(
    (typed) => {
      const widget = document.querySelector<HTMLElement>('.quick-input-widget');
      const field = widget?.querySelector<HTMLInputElement>('input[type="text"]');
      return !widget || widget.style.display === 'none' || field?.value !== typed;
    },
    `>${title}`,
    { timeout: WAIT },
  );
}

/** Focuses the workflow's editor, so commands that act on "the active workflow" find it. */
async function focusWorkflowEditor(page: Page): Promise<void> {
  const tab = page.locator('.tabs-container .tab', { hasText: WORKFLOW_FILE }).first();
  await tab.click();
  await page.locator('.monaco-editor.focused, .monaco-editor .focused').first().waitFor({ timeout: WAIT }).catch(() => undefined);
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
}

async function openWorkflow(page: Page): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input[type="text"]');
  await input.waitFor({ state: 'visible', timeout: WAIT });
  await input.fill(WORKFLOW_FILE);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: WORKFLOW_FILE }).first().waitFor({ timeout: WAIT });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: WORKFLOW_FILE }).first().waitFor({ timeout: WAIT });
}

async function runId(frame: Frame): Promise<string> {
  return (await frame.locator('#run-view').getAttribute('data-run-id')) ?? '';
}

/** The run the panel shows now, if it is open. */
async function shownRunId(page: Page): Promise<string | undefined> {
  for (const frame of webviewFrames(page)) {
    const id = await frame
      .locator('#run-view')
      .getAttribute('data-run-id', { timeout: 1000 })
      .catch(() => null);
    if (id) return id;
  }
  return undefined;
}

/** Starts a run from the palette and returns the panel frame once it shows that new run. */
async function startRun(page: Page, command: string): Promise<{ frame: Frame; id: string }> {
  const previous = await shownRunId(page);
  await focusWorkflowEditor(page);
  await runCommand(page, command);
  const deadline = Date.now() + WAIT;
  while (Date.now() < deadline) {
    const frame = await panelFrame(page, '#run-view');
    const id = await runId(frame).catch(() => '');
    if (id && id !== previous) return { frame, id };
    await page.waitForTimeout(100);
  }
  throw new Error(`${command} did not show a new run in the panel`);
}

async function stepStatus(page: Page, stepId: string, status: string): Promise<Frame> {
  return inPanel(page, `li.step[data-step-id="${stepId}"][data-status="${status}"]`);
}

/** Picks a colour theme as a person does (Preferences: Color Theme), then waits for the panel to follow. */
async function setTheme(page: Page, theme: string, bodyClass: string): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input[type="text"]');
  await input.waitFor({ state: 'visible', timeout: WAIT });
  await input.fill(theme);
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.getByText(theme, { exact: true }) }).first();
  await row.waitFor({ timeout: WAIT });
  await row.click();
  await inPanel(page, `body.${bodyClass} #run-panel`);
}

describe('the run panel in VS Code (code-server)', () => {
  let wb: Workbench;
  let tmpDir: string;
  const violations: string[] = [];
  const runs: Record<string, string> = {};

  before(async () => {
    tmpDir = mkdtempSync(path.join(os.tmpdir(), 'orchestrate-e2e-panel-'));
    const workspace = prepareWorkspace(tmpDir);
    writeFileSync(path.join(workspace, WORKFLOW_FILE), WORKFLOW);
    const extension = REPO_ROOT;
    wb = await openWorkbench({
      workspace,
      tmpDir,
      extensionDevelopmentPath: extension,
      env: { ORCHESTRATE_USE_MOCK: 'true' },
      userSettings: { 'orchestrate.mockDelayMs': 1500, 'workbench.colorTheme': 'Default Dark Modern' },
      beforeNavigate: async (page) => {
        // Runs in every frame, the webviews' too: a CSP violation in the panel fails the suite.
        await page.exposeFunction('__e2eCspViolation', (text: string) => violations.push(text));
        await page.addInitScript(
          "document.addEventListener('securitypolicyviolation', (e) => { if (/fake\\.html/.test(document.URL) && window.__e2eCspViolation) window.__e2eCspViolation(e.violatedDirective + ' ' + e.blockedURI + ' in ' + document.URL); });",
        );
      },
    });
    await openWorkflow(wb.page);
    // The extension is active and knows the file (its commands show in the palette only
    // then): its CodeLens is on the first line.
    await wb.page.locator('.codelens-decoration', { hasText: 'Run workflow' }).first().waitFor({ timeout: 90_000 });
  });

  after(async () => {
    if (wb) {
      await screenshot(wb.page, path.join(SCREENSHOTS, 'panel-workbench-last.png'));
      await wb.close();
    }
    if (tmpDir && !process.env.ORCHESTRATE_KEEP) rmSync(tmpDir, { recursive: true, force: true });
  });

  test('a run opens the panel; each step goes from running to done with its output', async () => {
    const page = wb.page;
    const { id } = await startRun(page, 'Orchestrate: Run Workflow');
    runs.first = id;
    for (const step of ['draft', 'review', 'hostile', 'final']) {
      await stepStatus(page, step, 'running');
      await inPanel(page, `#graph g.node.active[data-step-id="${step}"]`);
      await stepStatus(page, step, 'succeeded');
    }
    let frame = await inPanel(page, '#run-view[data-status="succeeded"]');
    await frame.locator('li.step[data-step-id="draft"]').click();
    frame = await inPanel(page, '#output[data-step-id="draft"] .markdown strong');
    assert.equal(await frame.locator('#output[data-step-id="draft"] .markdown strong').textContent(), 'draft');
    await frame.locator('#tab-prompt').click();
    frame = await inPanel(page, '#prompt-text');
    assert.equal(await frame.locator('#prompt-text').textContent(), 'Write a draft about owls');
    await frame.locator('#tab-output').click();
    await screenshot(page, path.join(SCREENSHOTS, 'panel-workbench-dark.png'));
  });

  test('hostile model output renders inert (checked in the webview’s DOM)', async () => {
    const page = wb.page;
    let frame = await panelFrame(page, '#run-view');
    await frame.locator('li.step[data-step-id="hostile"]').click();
    frame = await inPanel(page, '#output[data-step-id="hostile"] .markdown');
    const findings = await frame.evaluate(`(() => {
      const output = document.querySelector('#output');
      return {
        imgWithOnerror: document.querySelectorAll('img[onerror]').length,
        imgs: output.querySelectorAll('img').length,
        scripts: output.querySelectorAll('script').length,
        svgScripts: document.querySelectorAll('svg script').length,
        svgsInOutput: output.querySelectorAll('svg').length,
        javascriptHrefs: [...document.querySelectorAll('[href]')].filter((a) => /^\\s*javascript:/i.test(a.getAttribute('href'))).length,
        eventAttributes: [...output.querySelectorAll('*')].flatMap((el) => el.getAttributeNames().filter((n) => n.startsWith('on'))).length,
        liveLinks: [...output.querySelectorAll('a[data-href]')].map((a) => a.getAttribute('data-href')),
        pwned: window.__pwned ?? null,
      };
    })()`);
    const f = findings as { liveLinks: string[] } & Record<string, unknown>;
    assert.deepEqual({ ...f, liveLinks: undefined }, { imgWithOnerror: 0, imgs: 0, scripts: 0, svgScripts: 0, svgsInOutput: 0, javascriptHrefs: 0, eventAttributes: 0, pwned: null, liveLinks: undefined });
    assert.ok(f.liveLinks.every((href) => /^https?:\/\//.test(href)), f.liveLinks.join(', '));
    assert.ok(f.liveLinks.includes('https://example.com/docs'));
  });

  test('light and high-contrast themes (screenshots)', async () => {
    await setTheme(wb.page, 'Light Modern', 'vscode-light');
    await screenshot(wb.page, path.join(SCREENSHOTS, 'panel-workbench-light.png'));
    await setTheme(wb.page, 'Dark High Contrast', 'vscode-high-contrast');
    await screenshot(wb.page, path.join(SCREENSHOTS, 'panel-workbench-high-contrast.png'));
    await setTheme(wb.page, 'Dark Modern', 'vscode-dark');
  });

  test('pause takes effect at the next step; resume runs to the end', async () => {
    const page = wb.page;
    const { frame, id } = await startRun(page, 'Orchestrate: Run Workflow');
    await stepStatus(page, 'draft', 'running');
    await frame.locator('#btn-pause').click();
    await inPanel(page, '#run-view[data-status="paused"]');
    const paused = await stepStatus(page, 'review', 'paused');
    assert.equal(await paused.locator('li.step[data-step-id="draft"]').getAttribute('data-status'), 'succeeded');
    await paused.locator('#btn-resume').click();
    await inPanel(page, `#run-view[data-run-id="${id}"][data-status="succeeded"]`);
  });

  test('step through starts the debugger: the panel shows where it holds the run; Next step steps over, Resume continues', async () => {
    const page = wb.page;
    const { id } = await startRun(page, 'Orchestrate: Step Through Workflow');
    let frame = await inPanel(page, 'li.step.debug-held[data-step-id="draft"][data-held="step"]');
    assert.match((await frame.locator('#run-status').textContent()) ?? '', /paused in debugger/);
    await screenshot(page, path.join(SCREENSHOTS, 'panel-workbench-debug-held.png'));
    await frame.locator('#btn-step').click();
    frame = await inPanel(page, 'li.step.debug-held[data-step-id="review"][data-held="step"]');
    assert.equal(await frame.locator('li.step[data-step-id="draft"]').getAttribute('data-status'), 'succeeded');
    await frame.locator('#btn-resume').click();
    await inPanel(page, `#run-view[data-run-id="${id}"][data-status="succeeded"]`);
    // The debug session ends with the run: the debug toolbar goes away.
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: WAIT });
  });

  test('stop cancels the run in flight', async () => {
    const page = wb.page;
    const { frame, id } = await startRun(page, 'Orchestrate: Run Workflow');
    await stepStatus(page, 'draft', 'running');
    await frame.locator('#btn-stop').click();
    const stopped = await inPanel(page, `#run-view[data-run-id="${id}"][data-status="cancelled"]`);
    assert.equal(await stopped.locator('li.step[data-step-id="review"]').getAttribute('data-status'), 'pending');
    runs.stopped = id;
  });

  test('re-run from a selected step starts a new run from there', async () => {
    const page = wb.page;
    let frame = await panelFrame(page, '#run-view');
    await frame.locator('li.step[data-step-id="review"]').click();
    frame = await inPanel(page, 'li.step[data-step-id="review"][aria-selected="true"]');
    await frame.locator('#btn-rerun').click();
    const deadline = Date.now() + WAIT;
    let id = runs.stopped;
    while (id === runs.stopped && Date.now() < deadline) {
      frame = await panelFrame(page, '#run-view');
      id = await runId(frame);
      if (id === runs.stopped) await page.waitForTimeout(100);
    }
    assert.notEqual(id, runs.stopped, 're-run started a new run');
    frame = await inPanel(page, `#run-view[data-run-id="${id}"][data-status="succeeded"]`);
    assert.equal(await frame.locator('li.step[data-step-id="review"]').getAttribute('data-status'), 'succeeded');
    assert.equal(await frame.locator('li.step[data-step-id="final"]').getAttribute('data-status'), 'succeeded');
    // The step before the start point was not run again.
    assert.notEqual(await frame.locator('li.step[data-step-id="draft"]').getAttribute('data-status'), 'running');
    assert.match((await frame.locator('.run-id').textContent()) ?? '', /run-from-here/);
    runs.rerun = id;
  });

  test('the runs view lists past runs; opening one shows its trace', async () => {
    const page = wb.page;
    await page.locator('.activitybar .action-item a[aria-label^="Orchestrate"]').first().click();
    // The newest run's row, finished: the list has every run and its order has settled.
    await page.locator(`.monaco-list-row[aria-label*="Run ${runs.rerun} "][aria-label*=", succeeded,"]`).waitFor({ timeout: WAIT });
    const row = page.locator(`.monaco-list-row[aria-label*="Run ${runs.first} "]`);
    const shown = `#run-view[data-run-id="${runs.first}"][data-status="succeeded"]`;
    // A refresh of the view can still move the row between finding it and the click landing
    // (it then opens a neighbour): click again until the panel shows this run.
    let frame: Frame | undefined;
    for (const deadline = Date.now() + WAIT; !frame; ) {
      await row.click();
      frame = await panelFrame(page, shown, 5000).catch((error: unknown) => {
        if (Date.now() > deadline) throw error;
        return undefined;
      });
    }
    // A past run: nothing to pause or stop.
    assert.equal(await frame.locator('#btn-stop').getAttribute('disabled'), '');
    await frame.locator('li.step[data-step-id="review"]').click();
    await inPanel(page, '#output[data-step-id="review"] .markdown');
    await screenshot(page, path.join(SCREENSHOTS, 'panel-workbench-runs-view.png'));
  });

  test('compare two runs step by step', async () => {
    const page = wb.page;
    await runCommand(page, 'Orchestrate: Compare Runs');
    const input = page.locator('.quick-input-widget input[type="text"]');
    for (const id of [runs.first, runs.rerun]) {
      await input.fill(id);
      const item = page.locator('.quick-input-widget .monaco-list-row', { hasText: id }).first();
      await item.waitFor({ timeout: WAIT });
      // Clicking an item's label toggles its checkbox in a multi-select quick pick.
      await item.locator('.quick-input-list-label').first().click();
    }
    await page.keyboard.press('Enter');
    let frame = await inPanel(page, '#compare-view tr.compare-row[data-step-id="draft"]');
    // The re-run started at `review`: `draft` ran in one run only.
    assert.match((await frame.locator('tr.compare-row[data-step-id="draft"]').textContent()) ?? '', /did not run/);
    await frame.locator('tr.compare-row[data-step-id="review"]').click();
    frame = await inPanel(page, '.compare-detail .diff-block');
    await screenshot(page, path.join(SCREENSHOTS, 'panel-workbench-compare.png'));
  });

  test('after a reload the panel comes back showing the same thing', async () => {
    const page = wb.page;
    await runCommand(page, 'Developer: Reload Window');
    await page.waitForSelector('.monaco-workbench', { timeout: WAIT });
    await inPanel(page, '#compare-view tr.compare-row[data-step-id="review"]', 90_000);
  });

  test('no CSP violation in the panel', () => {
    assert.deepEqual(violations, []);
  });
});
