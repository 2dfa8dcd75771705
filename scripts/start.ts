// `npm start`: a ready VS Code in the browser with this extension loaded and the examples
// open, for trying the editor by hand. Builds the extension, installs the server build of
// VS Code once (.ci/setup-vscode-server.sh), copies examples/ into a scratch folder, and
// serves code-server on 127.0.0.1 until Ctrl-C. With no API key set, runs use the mock
// provider (replies take `orchestrate.mockDelayMs`, 400 ms here, so progress is visible).
//
//   npm start                     # a free port, printed
//   npm start -- --port 8080      # a fixed port (also ORCHESTRATE_PORT)
//   npm start -- --no-build       # reuse dist/ as it is
//   npm start -- --no-open        # only print the URL (it opens by itself when there is a display)
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, prepareWorkspace, startCodeServer, type CodeServer } from '../test/integration/server';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.ORCHESTRATE_PORT ?? '0' },
    'no-build': { type: 'boolean', default: false },
    'no-open': { type: 'boolean', default: false },
  },
  strict: true,
});

function say(message: string): void {
  process.stdout.write(`[start] ${message}\n`);
}

function run(command: string, argv: string[], what: string, stdout: 'inherit' | 'ignore' = 'inherit'): void {
  const result = spawnSync(command, argv, { cwd: REPO_ROOT, stdio: ['ignore', stdout, 'inherit'] });
  if (result.status !== 0) {
    say(`${what} failed (exit code ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  if (!args['no-build']) {
    say('building the extension (node esbuild.mjs)…');
    run(process.execPath, ['esbuild.mjs'], 'the build');
  }
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js'))) {
    say('dist/extension.js is missing: run without --no-build');
    process.exit(1);
  }
  say('making sure the VS Code server build is installed (.ci/setup-vscode-server.sh)…');
  // Its stdout is the install path, for scripts; its progress goes to stderr.
  run('bash', ['.ci/setup-vscode-server.sh'], 'installing code-server', 'ignore');

  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestrate-start-'));
  const workspace = prepareWorkspace(tmpDir);
  // The extension is "installed" by a link from the extensions folder to this repository, so
  // a rebuild (npm run watch) shows after a window reload, without reinstalling.
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const extensionsDir = path.join(tmpDir, 'extensions');
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.symlinkSync(REPO_ROOT, path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`), 'dir');

  // Set once code-server is up; Ctrl-C before that only removes the scratch folder.
  const running: { server?: CodeServer } = {};
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping code-server…');
    await running.server?.stop();
    fs.rmSync(tmpDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  say('starting code-server…');
  const server = await startCodeServer({
    workspace,
    tmpDir,
    port: Number(args.port) || 0,
    userSettings: { 'orchestrate.mockDelayMs': 400, 'workbench.startupEditor': 'none' },
  });
  running.server = server;
  void server.exited.then((code) => {
    if (!stopping) {
      say(`code-server exited (code ${code}); its last output:\n${server.output().trimEnd().split('\n').slice(-20).join('\n')}`);
      void stop(1);
    }
  });
  const url = server.workbenchUrl(workspace);
  const keys = process.env.OPENAI_API_KEY ? 'OPENAI_API_KEY is set: steps that use openai call it' : 'no API key set: runs use the mock provider';
  process.stdout.write(
    `\n  Orchestrate is ready in VS Code (code-server, port ${server.port}):\n\n    ${url}\n\n` +
      `  workspace: ${workspace} (a copy of examples/)\n  ${keys}\n  Ctrl-C to stop.\n\n`,
  );
  // A machine with a screen gets the browser; a headless one (CI, a container) gets the URL.
  const display = process.platform === 'darwin' || process.platform === 'win32' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  if (display && !args['no-open']) openBrowser(url);
}

function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    spawn(opener, [url], { detached: true, stdio: 'ignore' }).on('error', () => say(`could not run ${opener}: open the URL yourself`)).unref();
  } catch {
    say('open the URL in a browser');
  }
}

main().catch((error: unknown) => {
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
