// The mocha entry for the integration suites (`extensionTestsPath`), run inside VS Code's
// extension host by test/integration/run-in-server.ts (code-server + Chromium) or
// test/integration/run-electron.ts (desktop VS Code). esbuild bundles this file, mocha and the
// suites into out/test/integration/index.js (CommonJS, `vscode` external): there is no
// TypeScript loader in the extension host, so every suite is listed in SUITES below.
//
// Environment (set by the launchers; the extension host inherits the server's environment):
//   ORCHESTRATE_TEST_MODE    "trusted" (default) or "restricted": restricted runs only the suite
//                            files whose name contains "restricted"; trusted runs all the others
//   ORCHESTRATE_TEST_SUITES  comma-separated parts of suite file names to run
//   ORCHESTRATE_TEST_GREP    only tests whose full title contains this text
import * as fs from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { TEST_LOG_PREFIX } from './common';

interface SuiteFile {
  file: string;
  load: () => Promise<unknown>;
}

// One line per file in test/integration/suite/. A suite file missing here fails the run.
const SUITES: SuiteFile[] = [
  { file: 'smoke.test.ts', load: () => import('./suite/smoke.test.js') },
  { file: 'restricted.test.ts', load: () => import('./suite/restricted.test.js') },
  { file: 'editor.test.ts', load: () => import('./suite/editor.test.js') },
  { file: 'editor-restricted.test.ts', load: () => import('./suite/editor-restricted.test.js') },
  { file: 'debug.test.ts', load: () => import('./suite/debug.test.js') },
  { file: 'debug-restricted.test.ts', load: () => import('./suite/debug-restricted.test.js') },
  { file: 'testing.test.ts', load: () => import('./suite/testing.test.js') },
  { file: 'authoring.test.ts', load: () => import('./suite/authoring.test.js') },
  { file: 'server-runs.test.ts', load: () => import('./suite/server-runs.test.js') },
  { file: 'server-runs-restricted.test.ts', load: () => import('./suite/server-runs-restricted.test.js') },
  { file: 'lm-tools.test.ts', load: () => import('./suite/lm-tools.test.js') },
  { file: 'tool-authoring.test.ts', load: () => import('./suite/tool-authoring.test.js') },
  { file: 'tool-authoring-restricted.test.ts', load: () => import('./suite/tool-authoring-restricted.test.js') },
  { file: 'tool-run.test.ts', load: () => import('./suite/tool-run.test.js') },
];

/** Marks the test log so launchers can tell it from the workbench's own log lines. */
const LOG_PREFIX = TEST_LOG_PREFIX;

export async function run(): Promise<void> {
  const mode = process.env.ORCHESTRATE_TEST_MODE === 'restricted' ? 'restricted' : 'trusted';
  const grep = process.env.ORCHESTRATE_TEST_GREP || undefined;
  const filters = (process.env.ORCHESTRATE_TEST_SUITES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

  console.log(
    `${LOG_PREFIX} VS Code ${vscode.version} (${vscode.env.appHost}${vscode.env.remoteName ? `, remote ${vscode.env.remoteName}` : ''}), ` +
      `node ${process.version}, mode ${mode}, workspace trusted: ${vscode.workspace.isTrusted}`,
  );
  checkAllSuitesListed();

  const selected = SUITES.filter(
    (s) =>
      s.file.includes('restricted') === (mode === 'restricted') &&
      (filters.length === 0 || filters.some((f) => s.file.includes(f))),
  );
  if (selected.length === 0) {
    throw new Error(`${LOG_PREFIX} no suite selected (mode ${mode}, ORCHESTRATE_TEST_SUITES=${filters.join(',')})`);
  }
  console.log(`${LOG_PREFIX} suites: ${selected.map((s) => s.file).join(', ')}${grep ? `; grep "${grep}"` : ''}`);

  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    timeout: 60_000,
    slow: 5_000,
    forbidOnly: Boolean(process.env.CI),
    ...(grep ? { grep } : {}),
  });

  // What `mocha.loadFiles()` does for files on disk, for modules in the bundle: the suites call
  // describe/it when they load, so load them between pre-require and post-require.
  for (const s of selected) {
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, s.file, mocha);
    const exports = await s.load();
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_REQUIRE, exports, s.file, mocha);
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_POST_REQUIRE, globalThis, s.file, mocha);
  }

  const mapStack = stackMapper();
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    // Before the reporter prints them (at the end), point failures' stacks at the .ts sources.
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (_test, err: unknown) => {
      if (mapStack && err instanceof Error && err.stack) err.stack = mapStack(err.stack);
    });
  });
  console.log(`${LOG_PREFIX} done: ${failures === 0 ? 'all passed' : `${failures} failed`}`);
  if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
}

/** Fails the run when a file in test/integration/suite/ is not listed in SUITES. */
function checkAllSuitesListed(): void {
  // This file runs as <repo>/out/test/integration/index.js; the sources are beside the repo's out/.
  const dir = path.resolve(__dirname, '..', '..', '..', 'test', 'integration', 'suite');
  if (!fs.existsSync(dir)) return;
  const listed = new Set(SUITES.map((s) => s.file));
  const missing = fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts') && !listed.has(f));
  if (missing.length) {
    throw new Error(`${LOG_PREFIX} add ${missing.join(', ')} to SUITES in test/integration/index.ts`);
  }
}

/**
 * Rewrites `out/test/integration/index.js:L:C` in a stack trace to the TypeScript source, using the
 * bundle's source map. (The extension host replaces Error.prepareStackTrace, so Node's own
 * --enable-source-maps does not apply.) Paths come out relative to the repository.
 */
function stackMapper(): ((stack: string) => string) | undefined {
  const mapFile = `${__filename}.map`;
  if (!fs.existsSync(mapFile)) return undefined;
  let map: SourceMap;
  try {
    map = new SourceMap(JSON.parse(fs.readFileSync(mapFile, 'utf8')));
  } catch {
    return undefined;
  }
  const repoRoot = path.resolve(__dirname, '..', '..', '..');
  const escaped = __filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const location = new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g');
  const mochaFrame = /^\s*at .*(node_modules\/mocha\/|node:internal\/)/;
  return (stack) =>
    stack
      .replace(location, (whole, line: string, column: string) => {
        const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as Partial<SourceMapping>;
        if (!entry.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return whole;
        const source = entry.originalSource.startsWith('file:')
          ? new URL(entry.originalSource).pathname
          : path.resolve(__dirname, entry.originalSource);
        return `${path.relative(repoRoot, source)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
      })
      .split('\n')
      .filter((l) => !mochaFrame.test(l))
      .join('\n');
}

interface SourceMapping {
  originalSource: string;
  originalLine: number;
  originalColumn: number;
}
