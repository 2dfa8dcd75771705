// Runs the integration suites (out/test/integration/index.js, bundled from index.ts) inside a real
// VS Code extension host: code-server 4.100.3 (VS Code 1.100.3) driven by Debian's Chromium.
// Needs .ci/setup-vscode-server.sh (once) and `npm run build` (dist/ and out/).
//
//   node --import tsx test/integration/run-in-server.ts [options]
//
//   --restricted      workspace trust on (restricted mode); runs the suites whose file name
//                     contains "restricted" (and only those)
//   --grep <text>     only tests whose full title contains <text>      (ORCHESTRATE_TEST_GREP)
//   --suite <names>   only suite files containing one of these, comma-separated (ORCHESTRATE_TEST_SUITES)
//   --timeout <s>     overall limit in seconds (default 600)             (ORCHESTRATE_TEST_TIMEOUT)
//   --keep            keep the temp folder (user data, logs, workspace copy)
//   --headed          show the browser (needs a display)
//   --verbose         echo code-server's output and the page console as they come
//
// Exit code: the suite's (0 when every test passed); 1 on a launcher error or time-out.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { format, parseArgs } from 'node:util';
import { REPO_ROOT, TEST_LOG_PREFIX, parseScreenshotRequest, prepareWorkspace } from './common';
import { CodeServerStartError, openWorkbench, takeRequestedScreenshot, type Workbench } from './server';

const { values: args } = parseArgs({
  options: {
    restricted: { type: 'boolean', default: process.env.ORCHESTRATE_TEST_RESTRICTED === '1' },
    grep: { type: 'string', default: process.env.ORCHESTRATE_TEST_GREP },
    suite: { type: 'string', default: process.env.ORCHESTRATE_TEST_SUITES },
    timeout: { type: 'string', default: process.env.ORCHESTRATE_TEST_TIMEOUT ?? '600' },
    keep: { type: 'boolean', default: false },
    headed: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: process.env.ORCHESTRATE_TEST_VERBOSE === '1' },
  },
  strict: true,
});

const mode = args.restricted ? 'restricted' : 'trusted';
const overallTimeoutMs = Number(args.timeout) * 1000;
if (!(overallTimeoutMs > 0)) {
  console.error(`[run-in-server] --timeout must be a number of seconds (got ${args.timeout})`);
  process.exit(1);
}
/** After the page loads, the test entry must say something within this time. */
const firstLogTimeoutMs = Number(process.env.ORCHESTRATE_TEST_START_TIMEOUT ?? 120) * 1000;
const resultsDir = path.join(REPO_ROOT, 'test-results');
const screenshotFile = (failed: boolean) =>
  path.join(resultsDir, 'screenshots', `integration-${mode}${failed ? '-failed' : ''}.png`);

const extensionTestsPath = path.join(REPO_ROOT, 'out', 'test', 'integration', 'index.js');
const extensionMain = path.join(REPO_ROOT, 'dist', 'extension.js');

function say(msg: string): void {
  process.stdout.write(`[run-in-server] ${msg}\n`);
}

function checkBuilt(): void {
  const missing = [extensionMain, extensionTestsPath].filter((f) => !fs.existsSync(f));
  if (missing.length) {
    say(`missing ${missing.map((f) => path.relative(REPO_ROOT, f)).join(', ')}: run \`npm run build\` first`);
    process.exit(1);
  }
  const newest = (dir: string): number => {
    let t = 0;
    if (!fs.existsSync(dir)) return t;
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
    }
    return t;
  };
  if (newest(path.join(REPO_ROOT, 'test', 'integration')) > fs.statSync(extensionTestsPath).mtimeMs) {
    say('warning: test/integration has changed since out/test/integration/index.js was built (npm run build)');
  }
  if (newest(path.join(REPO_ROOT, 'src')) > fs.statSync(extensionMain).mtimeMs) {
    say('warning: src/ has changed since dist/extension.js was built (npm run build)');
  }
}

async function main(): Promise<number> {
  checkBuilt();
  const started = Date.now();
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `orchestrate-it-${mode}-`));
  const workspace = prepareWorkspace(tmpDir);
  const logsDir = path.join(resultsDir, 'logs', `integration-${mode}`);
  fs.rmSync(logsDir, { recursive: true, force: true });
  fs.mkdirSync(logsDir, { recursive: true });

  let wb: Workbench | undefined;
  let exitCode = 1;
  let failed = true;
  let stopping = false;
  let testsStarted = false;
  const workbenchErrors: string[] = [];
  const automationLog = fs.createWriteStream(path.join(logsDir, 'automation.log'));
  let resolveExit!: (code: number) => void;
  const exitPromise = new Promise<number>((r) => (resolveExit = r));

  const onSignal = () => {
    say('interrupted');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  /** What to show when the run failed before or outside the suites. */
  function printDiagnostics(): void {
    if (!wb) return;
    if (!testsStarted && workbenchErrors.length) {
      say(`errors logged by the workbench and the extension host:\n${workbenchErrors.slice(-10).join('\n')}`);
    }
    if (!args.verbose) {
      say(`last code-server output:\n${wb.server.output().trimEnd().split('\n').slice(-30).join('\n')}`);
      const pageErrors = wb.consoleMessages.filter((m) => /^\[(error|pageerror|crash)\]/.test(m) && !isExpectedNoise(m));
      if (pageErrors.length) say(`page errors:\n${pageErrors.slice(-15).join('\n')}`);
    }
  }

  async function cleanup(): Promise<void> {
    stopping = true;
    if (wb) {
      fs.writeFileSync(path.join(logsDir, 'code-server.log'), wb.server.output());
      fs.writeFileSync(path.join(logsDir, 'page-console.log'), wb.consoleMessages.join('\n') + '\n');
      const shot = await wb.screenshot(screenshotFile(failed));
      if (shot) say(`screenshot: ${path.relative(process.cwd(), shot)}`);
      await wb.close();
    }
    automationLog.end();
    if (args.keep || (failed && wb)) say(`kept ${tmpDir} (user data with the extension host's logs, workspace copy)`);
    else fs.rmSync(tmpDir, { recursive: true, force: true });
    wb = undefined;
  }

  try {
    say(`mode ${mode}; workspace ${workspace}`);
    wb = await openWorkbench({
      workspace,
      tmpDir,
      restricted: args.restricted,
      headless: !args.headed,
      extensionTestsPath,
      waitForWorkbench: false,
      env: {
        ORCHESTRATE_USE_MOCK: 'true',
        ORCHESTRATE_TEST_MODE: mode,
        ORCHESTRATE_TEST_GREP: args.grep,
        ORCHESTRATE_TEST_SUITES: args.suite,
        ORCHESTRATE_TEST_WORKSPACE: workspace,
      },
      onOutput: args.verbose ? (s) => process.stdout.write(`[code-server] ${s}`) : undefined,
      beforeNavigate: async (page) => {
        // Every log line of the workbench arrives here, the extension host's console among them.
        // The test entry's banner starts the part worth showing; all of it goes to automation.log.
        await page.exposeFunction('codeAutomationLog', (type: string, message: unknown) => {
          const text = formatLogMessage(message);
          automationLog.write(`[${type}] ${text}\n`);
          if (type === 'error' && !isExpectedNoise(text)) workbenchErrors.push(text);
          if (!testsStarted && text.includes(TEST_LOG_PREFIX)) testsStarted = true;
          // A suite asks for a picture of the page (it cannot take one from the extension host).
          const shot = parseScreenshotRequest(text);
          if (shot) void takeRequestedScreenshot(page, shot, path.join(resultsDir, 'screenshots'));
          if (testsStarted || args.verbose) {
            (type === 'error' ? process.stderr : process.stdout).write(text.endsWith('\n') ? text : `${text}\n`);
          }
        });
        // Called once run() settles: 0 when it resolved. `logs` are the workbench's log files.
        await page.exposeFunction(
          'codeAutomationExit',
          (code: number, logs?: Array<{ relativePath: string; contents: string }>) => {
            for (const log of logs ?? []) {
              const file = path.join(logsDir, 'workbench', log.relativePath);
              fs.mkdirSync(path.dirname(file), { recursive: true });
              fs.writeFileSync(file, log.contents);
            }
            resolveExit(code);
          },
        );
        if (args.verbose) page.on('console', (msg) => process.stdout.write(`[page ${msg.type()}] ${msg.text()}\n`));
      },
    });
    say(`code-server on ${wb.server.origin} (pid ${wb.server.process.pid}); workbench loading after ${secs(started)}s`);

    const page = wb.page;
    const timers: NodeJS.Timeout[] = [];
    const failAfter = (ms: number, check: () => string | undefined) =>
      new Promise<never>((_, reject) => {
        timers.push(setTimeout(() => {
          const message = check();
          if (message) reject(new Error(message));
        }, Math.max(ms, 0)));
      });
    const serverDied = wb.server.exited.then((code) => {
      throw new Error(`code-server exited (code ${code}) before the suites finished`);
    });
    const pageCrashed = new Promise<never>((_, reject) => page.once('crash', () => reject(new Error('the workbench page crashed'))));
    void serverDied.catch(() => undefined);
    void pageCrashed.catch(() => undefined);
    try {
      exitCode = await Promise.race([
        exitPromise,
        serverDied,
        pageCrashed,
        failAfter(overallTimeoutMs - (Date.now() - started), () => `the suites did not finish within ${overallTimeoutMs / 1000}s`),
        failAfter(firstLogTimeoutMs, () =>
          testsStarted
            ? undefined
            : `the workbench did not start the tests within ${firstLogTimeoutMs / 1000}s: the extension host never ` +
              `printed the banner of ${path.relative(REPO_ROOT, extensionTestsPath)} (is it the bundle of test/integration/index.ts?)`,
        ),
      ]);
    } finally {
      timers.forEach(clearTimeout);
    }
    failed = exitCode !== 0;
    if (failed && !testsStarted) {
      say(`the test entry failed before it started the suites (exit code ${exitCode})`);
      printDiagnostics();
    }
  } catch (err) {
    failed = true;
    exitCode = 1;
    if (stopping) return 130;
    if (err instanceof CodeServerStartError) say(`code-server failed to start: ${err.message}`);
    else say(`error: ${err instanceof Error ? err.message : String(err)}`);
    printDiagnostics();
  } finally {
    if (!stopping) await cleanup();
  }
  say(`${failed ? 'FAILED' : 'passed'} (exit code ${exitCode}) in ${secs(started)}s; logs in ${path.relative(process.cwd(), logsDir)}`);
  return exitCode;
}

/** Errors every offline run logs: the marketplace (open-vsx.org) cannot be reached. */
function isExpectedNoise(text: string): boolean {
  return /open-vsx\.org|ERR_NAME_NOT_RESOLVED/.test(text);
}

/** The workbench passes console arguments (format string first) or a plain string. */
function formatLogMessage(message: unknown): string {
  if (Array.isArray(message)) return format(...(message as unknown[]));
  return typeof message === 'string' ? message : JSON.stringify(message);
}

function secs(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
