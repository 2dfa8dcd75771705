// Runs the same integration suites (out/test/integration/index.js) in a desktop VS Code with
// @vscode/test-electron. It downloads VS Code into .vscode-test/ on first use, so it needs
// internet (or VSCODE_EXECUTABLE pointing at an installed `code` binary / Electron app) and a
// display (use xvfb-run on Linux CI). Offline machines use run-in-server.ts instead.
//
//   node --import tsx test/integration/run-electron.ts [--restricted] [--grep <text>] [--suite <names>]
//
// Environment: VSCODE_VERSION (default 1.100.3), VSCODE_EXECUTABLE, and the ORCHESTRATE_TEST_*
// variables described in run-in-server.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runTests } from '@vscode/test-electron';
import { REPO_ROOT, prepareWorkspace, writeUserSettings } from './common';

async function main(): Promise<number> {
  const { values: args } = parseArgs({
    options: {
      restricted: { type: 'boolean', default: process.env.ORCHESTRATE_TEST_RESTRICTED === '1' },
      grep: { type: 'string', default: process.env.ORCHESTRATE_TEST_GREP },
      suite: { type: 'string', default: process.env.ORCHESTRATE_TEST_SUITES },
    },
    strict: true,
  });
  const mode = args.restricted ? 'restricted' : 'trusted';

  const extensionTestsPath = path.join(REPO_ROOT, 'out', 'test', 'integration', 'index.js');
  for (const f of [path.join(REPO_ROOT, 'dist', 'extension.js'), extensionTestsPath]) {
    if (!fs.existsSync(f)) {
      console.error(`[run-electron] missing ${path.relative(REPO_ROOT, f)}: run \`npm run build\` first`);
      return 1;
    }
  }

  // A temp copy of examples/ as the workspace, and fresh user data: runs never write into the repo.
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `orchestrate-electron-${mode}-`));
  const workspace = prepareWorkspace(tmpDir);
  const userDataDir = path.join(tmpDir, 'user-data');
  writeUserSettings(userDataDir);

  try {
    return await runTests({
      version: process.env.VSCODE_VERSION ?? '1.100.3',
      ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : {}),
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath,
      launchArgs: [
        workspace,
        '--user-data-dir', userDataDir,
        '--extensions-dir', path.join(tmpDir, 'extensions'),
        '--disable-extensions', // only the extension under development, as in the server run
        '--skip-welcome',
        '--skip-release-notes',
        ...(args.restricted ? [] : ['--disable-workspace-trust']),
      ],
      extensionTestsEnv: {
        ORCHESTRATE_USE_MOCK: 'true',
        ORCHESTRATE_TEST_MODE: mode,
        ORCHESTRATE_TEST_GREP: args.grep,
        ORCHESTRATE_TEST_SUITES: args.suite,
        ORCHESTRATE_TEST_WORKSPACE: workspace,
      },
    });
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    // runTests rejects (TestRunFailedError) when the suites fail or VS Code cannot start.
    console.error(`[run-electron] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
