/**
 * The built run panel (dist/webview) in a plain Chromium page, outside VS Code:
 * the same HTML and CSP the host writes, a stubbed `acquireVsCodeApi`, and the
 * host's side of the protocol played by the test. Used by the standalone panel
 * tests and the panel benchmark; the tests through code-server cover the real thing.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { panelHtml } from '../../src/extension/panel/html';
import type { CommandMessage, HostToWebview, PanelUiState, RunHeader, WebviewToHost } from '../../src/shared/protocol';

const ROOT = path.resolve(__dirname, '..', '..');
const ASSETS = path.join(ROOT, 'dist', 'webview');
const ORIGIN = 'http://panel.test';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
};

/** A few of the variables VS Code sets on a webview's page, so the page is readable and themed. */
/** A model reply that tries every way into the page: an onerror image, a script, a javascript: link, an SVG with script. */
/** The panel's first word: its script ran and it waits for the host. */
export const isReady = (m: WebviewToHost): m is CommandMessage<'ready'> => m.type === 'command' && m.method === 'ready';

/** The header the host sends with a run of this window (a session). */
export function sessionHeader(runId: string, live = true): RunHeader {
  return { runId, source: { kind: 'session', runId }, mode: 'run', live, canRerun: true, warnings: [] };
}

export const HOSTILE_REPLY = [
  'Some **bold** text and a [safe link](https://example.com/docs).',
  '',
  '<img src=x onerror="window.__pwned = 1">',
  '',
  '<script>window.__pwned = 2</script>',
  '',
  '[click me](javascript:window.__pwned=3)',
  '',
  '<svg xmlns="http://www.w3.org/2000/svg"><script>window.__pwned = 4</script><circle r="4" onload="window.__pwned = 5"/></svg>',
].join('\n');

export const THEMES = {
  dark: { bodyClass: 'vscode-dark', vars: { foreground: '#cccccc', 'editor-background': '#1f1f1f', descriptionForeground: '#9d9d9d', focusBorder: '#0078d4', 'list-activeSelectionBackground': '#04395e', 'list-activeSelectionForeground': '#ffffff', 'panel-border': '#2b2b2b', 'textLink-foreground': '#4daafc', errorForeground: '#f85149', 'testing-iconPassed': '#73c991', 'testing-iconFailed': '#f14c4c', 'textCodeBlock-background': '#2b2b2b', 'font-family': 'sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace', 'editor-font-size': '13px' } },
  light: { bodyClass: 'vscode-light', vars: { foreground: '#3b3b3b', 'editor-background': '#ffffff', descriptionForeground: '#717171', focusBorder: '#005fb8', 'list-activeSelectionBackground': '#e8e8e8', 'list-activeSelectionForeground': '#000000', 'panel-border': '#e5e5e5', 'textLink-foreground': '#005fb8', errorForeground: '#e51400', 'testing-iconPassed': '#388a34', 'testing-iconFailed': '#f14c4c', 'textCodeBlock-background': '#f0f0f0', 'font-family': 'sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace', 'editor-font-size': '13px' } },
} as const;

export interface PanelPage {
  browser: Browser;
  page: Page;
  /** The panel's frame (the page itself here; an iframe inside VS Code). */
  frame: Frame;
  /** What the webview sent, in order. */
  sent: WebviewToHost[];
  /** CSP violations the page reported. */
  cspViolations: string[];
  /** Page errors and console errors. */
  errors: string[];
  /** Posts host messages, as `webview.postMessage` does (in one task, in order). */
  post(...messages: HostToWebview[]): Promise<void>;
  /** Resolves with the first message (already sent or to come) that matches. */
  waitForSent<T extends WebviewToHost>(match: (m: WebviewToHost) => m is T, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export interface PanelPageOptions {
  theme?: keyof typeof THEMES;
  uiState?: PanelUiState;
  viewport?: { width: number; height: number };
  /** Runs in the page before the panel's script (instrumentation for the benchmark). */
  initScript?: string;
}

export async function openPanelPage(options: PanelPageOptions = {}): Promise<PanelPage> {
  if (!existsSync(path.join(ASSETS, 'panel.js'))) throw new Error('dist/webview/panel.js is missing: run `npm run build` first');
  const theme = THEMES[options.theme ?? 'dark'];
  const browser = await chromium.launch({
    executablePath: process.env.ORCHESTRATE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1200, height: 800 } });
  const sent: WebviewToHost[] = [];
  const waiters: { match: (m: WebviewToHost) => boolean; resolve: (m: WebviewToHost) => void }[] = [];
  const cspViolations: string[] = [];
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.exposeFunction('__panelToHost', (message: WebviewToHost) => {
    sent.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.match(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  await page.exposeFunction('__cspViolation', (text: string) => cspViolations.push(text));
  // Init scripts run before the page's own and are not subject to its CSP. A string, not a
  // function: tsx compiles functions with helpers (`__name`) that do not exist in the page.
  await page.addInitScript(`(() => {
    let saved = ${JSON.stringify(options.uiState ?? null)};
    window.acquireVsCodeApi = () => ({
      postMessage: (message) => window.__panelToHost(message),
      getState: () => saved ?? undefined,
      setState: (next) => { saved = next; },
    });
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(e.violatedDirective + ' ' + e.blockedURI));
    document.addEventListener('DOMContentLoaded', () => {
      document.body.classList.add(${JSON.stringify(theme.bodyClass)});
      for (const [name, value] of Object.entries(${JSON.stringify(theme.vars)})) document.documentElement.style.setProperty('--vscode-' + name, value);
    });
  })();`);
  if (options.initScript) await page.addInitScript(options.initScript);
  const html = panelHtml({ cspSource: ORIGIN, nonce: 'bm9uY2Utb2YtdGhlLXRlc3Q=', scriptUri: `${ORIGIN}/panel.js`, styleUri: `${ORIGIN}/panel.css`, codiconUri: `${ORIGIN}/codicon.css`, title: 'panel' });
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/' || url.pathname === '/index.html') {
      await route.fulfill({ status: 200, contentType: 'text/html', body: html });
      return;
    }
    const file = path.join(ASSETS, path.basename(url.pathname));
    if (!existsSync(file)) {
      await route.fulfill({ status: 404, body: '' });
      return;
    }
    await route.fulfill({ status: 200, contentType: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
  });
  await page.goto(`${ORIGIN}/index.html`);

  const waitForSent = <T extends WebviewToHost>(match: (m: WebviewToHost) => m is T, timeoutMs = 10_000): Promise<T> => {
    const already = sent.find(match);
    if (already) return Promise.resolve(already);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the webview did not send the expected message')), timeoutMs);
      waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
      });
    });
  };
  return {
    browser,
    page,
    frame: page.mainFrame(),
    sent,
    cspViolations,
    errors,
    // As a JSON string: CDP moves a string much faster than an object graph (VS Code also sends JSON).
    post: (...messages) => page.evaluate(`for (const m of JSON.parse(${JSON.stringify(JSON.stringify(messages))})) window.postMessage(m, '*')`),
    waitForSent,
    close: () => browser.close(),
  };
}
