import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'coverage/**', '.vscode-test/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
  {
    // docs/architecture.md, rule 1: the engine knows nothing of the editor, the webview or a server.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'vscode', message: 'src/engine must stay editor-free (docs/architecture.md, rule 1).' },
            ...['fastify', 'bullmq', 'ioredis', 'node:http', 'http'].map((name) => ({ name, message: 'src/engine runs no server: servers live in src/serve and src/mcp (docs/architecture.md, rule 1).' })),
          ],
          patterns: [{ group: ['**/extension/**', '**/serve/**', '**/mcp/**', '**/cli/**', '**/webview/**'], message: 'src/engine imports no face (docs/architecture.md, layers).' }],
        },
      ],
    },
  },
  {
    // The faces that run without an editor: the authoring core, the servers, the debug adapter, the CLI.
    files: ['src/authoring/**/*.ts', 'src/serve/**/*.ts', 'src/mcp/**/*.ts', 'src/debug/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'only src/extension imports vscode (docs/architecture.md, layers).' }] }],
    },
  },
);
