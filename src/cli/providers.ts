import { createResolver, mockForced } from '../engine/providers';
import type { ProviderResolver } from '../engine';
import type { Io } from './main';

export interface CliProviderOptions {
  io: Io;
  forceMock: boolean;
  mockDelayMs?: number;
}

/** The CLI's providers: the mock always; real ones when their keys are set. */
export function cliProviders(options: CliProviderOptions): ProviderResolver {
  const { io } = options;
  const forceMock = options.forceMock || mockForced(io.env);
  return createResolver(
    {},
    {
      forceMock,
      mock: { delayMs: options.mockDelayMs },
      unavailable: { openai: 'no OPENAI_API_KEY is set' },
      onFallback: (name, why) => io.err(`note: ${why}, so steps that use \`${name}\` run on the mock provider\n`),
    },
  );
}
