// Shared by the launchers (run-in-server.ts, run-electron.ts, server.ts) and the test entry
// (index.ts). Node built-ins only: index.ts bundles this into the extension host.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Prefix of the test entry's own log lines; the server launcher shows the log from the first one. */
export const TEST_LOG_PREFIX = '[orchestrate-tests]';

/**
 * A test inside the extension host asks the launcher (which owns the page) for a screenshot
 * by logging this prefix and a JSON `ScreenshotRequest`. The launcher writes
 * `<test-results>/screenshots/<name>.png` atomically (a temporary file renamed), so the test
 * waits for that file to appear.
 */
export const SCREENSHOT_REQUEST_PREFIX = '[orchestrate-screenshot]';

export interface ScreenshotRequest {
  /** File name without `.png`: letters, digits, `-` and `_`. */
  name: string;
  /** Selectors to wait for (up to 10 s each) before the shot, e.g. `.codelens-decoration`. */
  waitFor?: string | string[];
}

export function parseScreenshotRequest(text: string): ScreenshotRequest | undefined {
  const at = text.indexOf(SCREENSHOT_REQUEST_PREFIX);
  if (at === -1) return undefined;
  try {
    const request = JSON.parse(text.slice(at + SCREENSHOT_REQUEST_PREFIX.length).trim()) as ScreenshotRequest;
    return typeof request.name === 'string' && /^[\w-]+$/.test(request.name) ? request : undefined;
  } catch {
    return undefined;
  }
}

/** The repository root, for files under test/integration/ run from source (not from the bundle). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Workbench user settings that keep a test run quiet and deterministic. */
export const DEFAULT_USER_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'git.enabled': false,
  'files.autoSave': 'off',
  'window.restoreWindows': 'none',
  // Restricted-mode runs: no modal trust prompt, only the banner.
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'always',
};

/** Writes `<userDataDir>/User/settings.json`. */
export function writeUserSettings(userDataDir: string, settings: Record<string, unknown> = {}): void {
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_USER_SETTINGS, ...settings }, null, 2),
  );
}

/**
 * A workspace folder `<tmpDir>/workspace` holding a copy of the repository's examples/, so test
 * runs never write into the repository. Returns its path.
 */
export function prepareWorkspace(tmpDir: string, source = path.join(REPO_ROOT, 'examples')): string {
  const ws = path.join(tmpDir, 'workspace');
  fs.mkdirSync(ws, { recursive: true });
  if (fs.existsSync(source)) fs.cpSync(source, ws, { recursive: true });
  return ws;
}
