// Starts VS Code's server build (code-server, installed by .ci/setup-vscode-server.sh) and a
// headless Debian Chromium driven by playwright-core: a real workbench with a real extension
// host, on a machine with no internet. Used by run-in-server.ts (mocha suites inside the
// extension host) and meant for browser-level tests (test/e2e/) that look at the editor and
// at webview panels through Playwright's `page`.
//
//   const wb = await openWorkbench({ workspace: await prepareWorkspace(tmp) });
//   const frame = await waitForWebviewFrame(wb.page, (f) => f.locator('#run-panel').count().then(Boolean));
//   ...
//   await wb.close();
//
// See /work/shared/design/testing-vscode-offline.md for the recipe this follows.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { REPO_ROOT, writeUserSettings, type ScreenshotRequest } from './common';

export { DEFAULT_USER_SETTINGS, REPO_ROOT, prepareWorkspace, writeUserSettings, parseScreenshotRequest, SCREENSHOT_REQUEST_PREFIX, type ScreenshotRequest } from './common';

export const CODE_SERVER_VERSION = '4.100.3';

/** Flags for Debian's Chromium (no sandbox as root, nothing that reaches the network). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-breakpad',
  '--disable-crash-reporter',
];

/** Where .ci/setup-vscode-server.sh installs code-server (same defaults). */
export function codeServerInstallDir(): string {
  if (process.env.ORCHESTRATE_CODE_SERVER_DIR) return path.resolve(process.env.ORCHESTRATE_CODE_SERVER_DIR);
  const cacheRoot = process.env.ORCHESTRATE_VSCODE_CACHE || path.join(os.homedir(), '.cache', 'orchestrate');
  return path.join(cacheRoot, `code-server-${CODE_SERVER_VERSION}`);
}

export function chromiumPath(): string {
  return process.env.ORCHESTRATE_CHROMIUM || '/usr/bin/chromium';
}

export interface CodeServerOptions {
  /** The folder the workbench opens. */
  workspace: string;
  /** Leave workspace trust on (restricted mode until the user trusts the folder). */
  restricted?: boolean;
  /** Extra environment for code-server; its extension host inherits it. */
  env?: Record<string, string | undefined>;
  /** Scratch folder for user data, extensions and logs (default: a new temp folder). */
  tmpDir?: string;
  /** Merged over DEFAULT_USER_SETTINGS. */
  userSettings?: Record<string, unknown>;
  /** Port on 127.0.0.1 (default: 0, a free port chosen by the OS). */
  port?: number;
  startTimeoutMs?: number;
  /** Every chunk code-server writes to stdout or stderr. */
  onOutput?: (chunk: string) => void;
}

export interface CodeServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly tmpDir: string;
  readonly userDataDir: string;
  readonly process: ChildProcess;
  /** Everything code-server printed so far. */
  output(): string;
  /** Settles with code-server's exit code when it exits (for whatever reason). */
  readonly exited: Promise<number | null>;
  /** `vscode-remote://` URI of a path on this machine, as the workbench sees it. */
  remoteUri(absPath: string): string;
  /** The workbench URL for a folder, with an optional `payload` (extension development, tests). */
  workbenchUrl(folder: string, payload?: Array<[string, string]>): string;
  /** Kills code-server and everything it started (its process group). */
  stop(): Promise<void>;
}

export class CodeServerStartError extends Error {}

/** Starts code-server; resolves once it listens and answers /healthz. */
export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const installDir = codeServerInstallDir();
  const entry = path.join(installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!fs.existsSync(path.join(installDir, '.orchestrate-installed')) || !fs.existsSync(entry)) {
    throw new CodeServerStartError(
      `code-server ${CODE_SERVER_VERSION} is not installed in ${installDir}; run .ci/setup-vscode-server.sh first`,
    );
  }
  const tmpDir = opts.tmpDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orchestrate-vscode-'));
  const userDataDir = path.join(tmpDir, 'user-data');
  const extensionsDir = path.join(tmpDir, 'extensions');
  const configFile = path.join(tmpDir, 'code-server.yaml');
  fs.mkdirSync(extensionsDir, { recursive: true });
  // An explicit config file, and XDG_DATA_HOME below, keep code-server out of ~/.config and ~/.local.
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  writeUserSettings(userDataDir, opts.userSettings);

  const args = [
    entry,
    '--config', configFile,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${opts.port ?? 0}`,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.restricted ? [] : ['--disable-workspace-trust']),
    opts.workspace,
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: path.join(tmpDir, 'xdg-data') };
  // The launcher's own Node flags (e.g. tsx's --import) must not leak into the server's Node.
  delete env.NODE_OPTIONS;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }

  // detached: its own process group, so stop() also ends the extension host, pty host, watchers.
  const child = spawn(process.execPath, args, { cwd: tmpDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const onChunk = (buf: Buffer) => {
    const s = buf.toString();
    out += s;
    opts.onOutput?.(s);
  };
  child.stdout!.on('data', onChunk);
  child.stderr!.on('data', onChunk);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? 128 : null);
      resolve(exitCode);
    });
    child.on('error', (err) => {
      out += `\n[spawn error] ${err.message}\n`;
      exitCode = -1;
      resolve(exitCode);
    });
  });

  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const stop = async () => {
    if (exitCode !== undefined) {
      killGroup('SIGKILL'); // leftovers of the group, if any
      return;
    }
    killGroup('SIGTERM');
    const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    killGroup('SIGKILL');
  };

  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let port: number | undefined;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new CodeServerStartError(`code-server exited with code ${exitCode} before listening. Its output:\n${out}`);
    }
    port ??= parsePort(out);
    if (port !== undefined && (await healthy(port))) break;
    await sleep(200);
  }
  if (port === undefined || !(await healthy(port))) {
    await stop();
    throw new CodeServerStartError(`code-server did not start listening within ${timeoutMs / 1000}s. Its output:\n${out}`);
  }

  const origin = `http://127.0.0.1:${port}`;
  const remoteUri = (absPath: string) => `vscode-remote://127.0.0.1:${port}${toPosix(path.resolve(absPath))}`;
  return {
    port,
    origin,
    tmpDir,
    userDataDir,
    process: child,
    output: () => out,
    exited,
    remoteUri,
    workbenchUrl: (folder, payload) => {
      let url = `${origin}/?folder=${encodeURIComponent(toPosix(path.resolve(folder)))}`;
      if (payload?.length) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return url;
    },
    stop,
  };
}

function parsePort(output: string): number | undefined {
  const m = /HTTP server listening on https?:\/\/[^\s/]*:(\d+)/.exec(output);
  return m ? Number(m[1]) : undefined;
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console messages and page errors of the workbench page, for diagnostics. */
  consoleMessages: string[];
  close(): Promise<void>;
}

export interface BrowserOptions {
  headless?: boolean;
  viewport?: { width: number; height: number };
  /** Folder for Chromium's own config and cache (default: a temp folder removed on close). */
  homeDir?: string;
}

export async function launchBrowser(opts: BrowserOptions = {}): Promise<BrowserSession> {
  const executablePath = chromiumPath();
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath} (apt-get install chromium, or set ORCHESTRATE_CHROMIUM)`);
  }
  // Chromium writes a crash-report database under $XDG_CONFIG_HOME even with a temp profile.
  const homeDir = opts.homeDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orchestrate-chromium-'));
  const browser = await chromium.launch({
    executablePath,
    headless: opts.headless ?? true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, XDG_CONFIG_HOME: path.join(homeDir, 'config'), XDG_CACHE_HOME: path.join(homeDir, 'cache') },
  });
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1440, height: 900 } });
  const page = await context.newPage();
  const consoleMessages: string[] = [];
  page.on('console', (msg) => consoleMessages.push(`[${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (err) => consoleMessages.push(`[pageerror] ${err.stack ?? err.message}`));
  page.on('crash', () => consoleMessages.push('[crash] the page crashed'));
  return {
    browser,
    context,
    page,
    consoleMessages,
    close: async () => {
      await browser.close().catch(() => undefined);
      if (!opts.homeDir) fs.rmSync(homeDir, { recursive: true, force: true });
    },
  };
}

export interface WorkbenchOptions extends CodeServerOptions {
  /** Folder of the extension under development (default: the repository root, which needs dist/). */
  extensionDevelopmentPath?: string | null;
  /** A bundled CommonJS file exporting `run(): Promise<void>`; runs inside the extension host. */
  extensionTestsPath?: string;
  headless?: boolean;
  /** Called with the page before it navigates: the place for page.exposeFunction(...). */
  beforeNavigate?: (page: Page, server: CodeServer) => Promise<void>;
  /** Wait until the workbench's DOM is up (default true). */
  waitForWorkbench?: boolean;
  navigationTimeoutMs?: number;
}

export interface Workbench extends BrowserSession {
  server: CodeServer;
  url: string;
  /** Saves a PNG of the page; returns its path. Never throws. */
  screenshot(file: string): Promise<string | undefined>;
  /** Closes the browser, then stops code-server. */
  close(): Promise<void>;
}

/** code-server + Chromium showing the workbench on `workspace`, with the extension loaded. */
export async function openWorkbench(opts: WorkbenchOptions): Promise<Workbench> {
  const server = await startCodeServer(opts);
  let session: BrowserSession | undefined;
  try {
    session = await launchBrowser({ headless: opts.headless ?? true, homeDir: path.join(server.tmpDir, 'chromium') });
    const payload: Array<[string, string]> = [];
    const devPath = opts.extensionDevelopmentPath === undefined ? REPO_ROOT : opts.extensionDevelopmentPath;
    if (devPath) payload.push(['extensionDevelopmentPath', server.remoteUri(devPath)]);
    if (opts.extensionTestsPath) payload.push(['extensionTestsPath', server.remoteUri(opts.extensionTestsPath)]);
    payload.push(['skipWelcome', 'true']);
    await opts.beforeNavigate?.(session.page, server);
    const url = server.workbenchUrl(opts.workspace, payload);
    await session.page.goto(url, { timeout: opts.navigationTimeoutMs ?? 60_000 });
    if (opts.waitForWorkbench ?? true) {
      await session.page.waitForSelector('.monaco-workbench', { timeout: opts.navigationTimeoutMs ?? 60_000 });
    }
    const s = session;
    return {
      ...s,
      server,
      url,
      screenshot: (file) => screenshot(s.page, file),
      close: async () => {
        await s.close();
        await server.stop();
      },
    };
  } catch (err) {
    await session?.close();
    await server.stop();
    throw err;
  }
}

export async function screenshot(page: Page, file: string): Promise<string | undefined> {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file, timeout: 15_000 });
    return file;
  } catch {
    return undefined;
  }
}

/**
 * Serves a test's screenshot request (see SCREENSHOT_REQUEST_PREFIX in common.ts): waits for
 * `waitFor` when given, then writes `<dir>/<name>.png` through a temporary file, so the file
 * appears only when complete. Never throws.
 */
export async function takeRequestedScreenshot(page: Page, request: ScreenshotRequest, dir: string): Promise<string | undefined> {
  for (const selector of [request.waitFor ?? []].flat()) await page.waitForSelector(selector, { timeout: 10_000 }).catch(() => undefined);
  const file = path.join(dir, `${request.name}.png`);
  const partial = path.join(dir, `.${request.name}.partial.png`);
  const shot = await screenshot(page, partial);
  if (!shot) return undefined;
  fs.renameSync(partial, file);
  return file;
}

/**
 * The content frames of the webviews in the page. VS Code puts each webview in an outer
 * iframe (`…/static/out/vs/workbench/contrib/webview/browser/pre/index.html?id=…`, class
 * `webview`) whose child frame (`…/pre/fake.html?id=…`, element id `active-frame`) holds the
 * extension's HTML. Playwright's `frame.name()` is fixed at creation ("pending-frame"), so frames
 * are recognised by URL. Use `waitForWebviewFrame` to wait for one with given content.
 */
export function webviewFrames(page: Page): Frame[] {
  return page.frames().filter((f) => {
    const parent = f.parentFrame();
    return !f.isDetached() && parent !== null && /\/webview\/browser\/pre\/index\.html/.test(parent.url());
  });
}

/** Waits until some webview content frame satisfies `match`; returns it. */
export async function waitForWebviewFrame(
  page: Page,
  match: (frame: Frame) => boolean | Promise<boolean> = () => true,
  timeoutMs = 30_000,
): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of webviewFrames(page)) {
      try {
        if (await match(f)) return f;
      } catch {
        /* frame navigated or detached; try again */
      }
    }
    await sleep(250);
  }
  throw new Error(`no webview frame matched within ${timeoutMs / 1000}s`);
}
