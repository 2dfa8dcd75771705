// Three bundles (architecture.md): the extension (Node, CommonJS, `vscode` external),
// the CLI (Node) and the run panel (browser). Type-checking is `npm run typecheck`;
// esbuild only strips types, which keeps builds fast.
import * as esbuild from 'esbuild';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
// A release starts clean, so no source map of a development build ships in the package.
if (production) rmSync('dist', { recursive: true, force: true });

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  // `orchestrate new` and *New Workflow from Goal…* run this shipped workflow (src/authoring/generator-source.ts).
  define: { ORCHESTRATE_GENERATOR_WORKFLOW: JSON.stringify(readFileSync('src/authoring/generator.workflow.yaml', 'utf8')) },
};

const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
];
if (existsSync('webview/main.ts')) {
  builds.push({
    ...common,
    // codicon.css is its own file: vscode-icon links it by id (vscode-codicon-stylesheet) into each icon's shadow root.
    entryPoints: { panel: 'webview/main.ts', codicon: 'node_modules/@vscode/codicons/dist/codicon.css' },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
  });
}
// Integration suites run inside VS Code's extension host; bundle them with mocha.
if (existsSync('test/integration/index.ts')) {
  builds.push({
    ...common,
    entryPoints: { index: 'test/integration/index.ts' },
    outdir: 'out/test/integration',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    // mocha's parallel mode resolves worker files at run time; the suites run serially.
    logOverride: { 'require-resolve-not-external': 'silent' },
  });
}

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching…');
} else {
  const results = await Promise.all(builds.map((b) => esbuild.build(b)));
  // A warning is a mistake that still bundles (an unclosed CSS block swallowed the rules after it): fail the build.
  if (results.some((result) => result.warnings.length > 0)) {
    console.error('esbuild: the build has warnings (above); fix them');
    process.exit(1);
  }
}
