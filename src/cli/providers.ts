import type { ProviderResolver } from '../engine';
import { createResolver, mockForced } from '../engine/providers';
import { createOpenAIProviders, keyEnvFor, loadConfigFile, loadDotEnv } from '../engine/providers/config';
import type { Io } from './main';

export interface CliProviderOptions {
  io: Io;
  forceMock: boolean;
  mockDelayMs?: number;
}

/**
 * The CLI's providers: `openai` (OPENAI_API_KEY, OPENAI_BASE_URL, also from ./.env),
 * the servers named in ./orchestrate.config.json, and the mock. A provider whose key
 * is not set falls back to the mock, with a note, so every example runs with no key.
 */
export async function cliProviders(options: CliProviderOptions): Promise<ProviderResolver> {
  const { io } = options;
  await loadDotEnv(io.cwd, io.env);
  const forceMock = options.forceMock || mockForced(io.env);
  const { providers: configs } = await loadConfigFile(io.cwd);
  const real = createOpenAIProviders(configs, io.env);
  const unavailable: Record<string, string> = {};
  for (const name of Object.keys(real)) {
    const keyEnv = keyEnvFor(name, configs);
    // A provider that names no key variable is a keyless local server: usable as is.
    if (keyEnv && !io.env[keyEnv]) {
      unavailable[name] = `no ${keyEnv} is set`;
      delete real[name];
    }
  }
  unavailable['vscode-lm'] ??= 'the editor’s language models exist only inside VS Code';
  return createResolver(real, {
    forceMock,
    mock: { delayMs: options.mockDelayMs },
    unavailable,
    onFallback: (name, why) => io.err(`note: ${why}, so steps that use \`${name}\` run on the mock provider\n`),
  });
}
