/**
 * Provider configuration shared by the CLI and the editor: named OpenAI-compatible
 * providers, the CLI's config file (`orchestrate.config.json` or
 * `.orchestrate/config.json` in the working folder), `.env` files, and
 * {@link createOpenAIProviders}, which turns all that into `Provider`s.
 *
 * ```json
 * {
 *   "providers": [
 *     { "name": "local", "baseURL": "http://localhost:11434/v1" },
 *     { "name": "groq", "baseURL": "https://api.groq.com/openai/v1", "apiKeyEnv": "GROQ_API_KEY", "rpm": 30 },
 *     { "name": "azure", "azure": { "endpoint": "https://me.openai.azure.com", "apiVersion": "2024-10-21" }, "apiKeyEnv": "AZURE_OPENAI_API_KEY" },
 *     { "name": "openai", "rpm": 500, "tpm": 200000 }
 *   ]
 * }
 * ```
 *
 * `providers` may also be an object keyed by name. The built-in `openai` provider
 * always exists (key from OPENAI_API_KEY, base URL from OPENAI_BASE_URL); an entry
 * named `openai` adjusts it.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, Provider } from '../types';
import { OpenAIProvider, type AzureSettings } from './openai';
import { isHttpUrl, isRecord } from '../guards';

/** One named OpenAI-compatible provider. */
export interface ProviderConfig {
  /** What steps write in `model.provider`. */
  name: string;
  /** The server's base URL, usually ending in `/v1`. Required except for `openai` and Azure. */
  baseURL?: string;
  /** The environment variable holding the key. Without it (and without a stored key) no key is sent: fine for local servers. */
  apiKeyEnv?: string;
  headers?: Record<string, string>;
  /** Ask for usage in the stream; default true. Turn off for servers that reject `stream_options`. */
  includeUsage?: boolean;
  azure?: AzureSettings;
  maxConcurrent?: number;
  rpm?: number;
  tpm?: number;
  maxRetries?: number;
  timeoutMs?: number;
  /** The price table's provider id, e.g. `openai` for a proxy in front of OpenAI. */
  pricingProvider?: string;
}

/** The CLI's configuration file, as loaded. */
export interface OrchestrateConfig {
  providers: ProviderConfig[];
  /** The file it came from; absent when there was none. */
  file?: string;
}

/** A configuration file that cannot be used; the message names the file and the bad entry. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Where the CLI looks, in order, relative to the working folder. */
export const CONFIG_FILES = ['orchestrate.config.json', join('.orchestrate', 'config.json')] as const;

/** Provider names that belong to other providers. */
const RESERVED_NAMES = new Set(['mock', 'vscode-lm']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

type ReadText = (path: string) => Promise<string>;
const readText: ReadText = (path) => fsReadFile(path, 'utf8');

/**
 * Loads the first config file found in `dir`; `{ providers: [] }` when there is none.
 * Throws a {@link ConfigError} for a file that is not valid JSON or not a valid config.
 */
export async function loadConfigFile(dir: string, read: ReadText = readText): Promise<OrchestrateConfig> {
  for (const name of CONFIG_FILES) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await read(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new ConfigError(`${file}: cannot be read: ${(error as Error).message}`);
    }
    return parseConfig(text, file);
  }
  return { providers: [] };
}

/** Parses and checks a config file's text. Unknown top-level keys are left for others; unknown provider keys are errors (typos). */
export function parseConfig(text: string, file: string): OrchestrateConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(raw)) throw new ConfigError(`${file}: must hold a JSON object`);
  let entries: [string, unknown][];
  if (raw.providers === undefined) entries = [];
  else if (Array.isArray(raw.providers)) entries = raw.providers.map((p, i) => [`providers[${i}]`, p]);
  else if (isRecord(raw.providers)) {
    entries = Object.entries(raw.providers).map(([name, p]) => [`providers.${name}`, isRecord(p) ? { name, ...p } : p]);
  } else throw new ConfigError(`${file}: "providers" must be a list or an object keyed by name`);

  const providers = entries.map(([where, value]) => checkProvider(value, `${file}: ${where}`));
  const seen = new Set<string>();
  for (const p of providers) {
    if (seen.has(p.name)) throw new ConfigError(`${file}: provider "${p.name}" is defined twice`);
    seen.add(p.name);
  }
  return { providers, file };
}

const PROVIDER_KEYS = new Set([
  'name', 'baseURL', 'apiKeyEnv', 'headers', 'includeUsage', 'azure', 'maxConcurrent', 'rpm', 'tpm', 'maxRetries', 'timeoutMs', 'pricingProvider',
]);

function checkProvider(value: unknown, where: string): ProviderConfig {
  if (!isRecord(value)) throw new ConfigError(`${where}: must be an object`);
  const { name } = value;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ConfigError(`${where}: "name" must be a name of letters, digits, '.', '_' or '-'`);
  }
  const at = `${where} ("${name}")`;
  for (const key of Object.keys(value)) {
    if (!PROVIDER_KEYS.has(key)) {
      throw new ConfigError(`${at}: unknown key "${key}" (known: ${[...PROVIDER_KEYS].join(', ')})`);
    }
  }
  if (RESERVED_NAMES.has(name)) throw new ConfigError(`${at}: the name "${name}" is taken by a built-in provider`);

  const config: ProviderConfig = { name };
  if (value.baseURL !== undefined) {
    if (typeof value.baseURL !== 'string' || !isHttpUrl(value.baseURL)) {
      throw new ConfigError(`${at}: "baseURL" must be an http(s) URL, e.g. "http://localhost:11434/v1"`);
    }
    config.baseURL = value.baseURL;
  }
  if (value.apiKeyEnv !== undefined) {
    if (typeof value.apiKeyEnv !== 'string' || !ENV_NAME.test(value.apiKeyEnv)) {
      throw new ConfigError(`${at}: "apiKeyEnv" must be the name of an environment variable, e.g. "GROQ_API_KEY" (not the key itself)`);
    }
    config.apiKeyEnv = value.apiKeyEnv;
  }
  if (value.headers !== undefined) {
    if (!isRecord(value.headers) || !Object.values(value.headers).every((h) => typeof h === 'string')) {
      throw new ConfigError(`${at}: "headers" must be an object of strings`);
    }
    config.headers = value.headers as Record<string, string>;
  }
  if (value.includeUsage !== undefined) {
    if (typeof value.includeUsage !== 'boolean') throw new ConfigError(`${at}: "includeUsage" must be true or false`);
    config.includeUsage = value.includeUsage;
  }
  if (value.pricingProvider !== undefined) {
    if (typeof value.pricingProvider !== 'string') throw new ConfigError(`${at}: "pricingProvider" must be a string`);
    config.pricingProvider = value.pricingProvider;
  }
  for (const key of ['maxConcurrent', 'rpm', 'tpm', 'timeoutMs'] as const) {
    const n = value[key];
    if (n === undefined) continue;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw new ConfigError(`${at}: "${key}" must be a positive number`);
    config[key] = n;
  }
  if (value.maxRetries !== undefined) {
    const n = value.maxRetries;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new ConfigError(`${at}: "maxRetries" must be a whole number ≥ 0`);
    config.maxRetries = n;
  }
  if (value.azure !== undefined) {
    const azure = value.azure;
    if (!isRecord(azure) || typeof azure.endpoint !== 'string' || !isHttpUrl(azure.endpoint) || typeof azure.apiVersion !== 'string') {
      throw new ConfigError(`${at}: "azure" must be { "endpoint": "https://….openai.azure.com", "apiVersion": "2024-10-21", "deployment"?: "…" }`);
    }
    if (azure.deployment !== undefined && typeof azure.deployment !== 'string') {
      throw new ConfigError(`${at}: "azure.deployment" must be a string`);
    }
    if (config.baseURL) throw new ConfigError(`${at}: give either "baseURL" or "azure", not both`);
    config.azure = { endpoint: azure.endpoint, apiVersion: azure.apiVersion, ...(azure.deployment ? { deployment: azure.deployment as string } : {}) };
  }
  if (name !== 'openai' && !config.baseURL && !config.azure) {
    throw new ConfigError(`${at}: needs a "baseURL" (or "azure")`);
  }
  return config;
}

// ─── .env ────────────────────────────────────────────────────────────────────

/**
 * Parses `.env` text: `KEY=value` lines, `export KEY=value`, `#` comments (whole
 * lines, and after unquoted values), single quotes (literal), double quotes (with
 * `\n`, `\t`, `\"` and `\\` escapes; may span lines) and backticks (literal).
 */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const src = text.replace(/\r\n?/g, '\n');
  const line = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*/gm;
  let match: RegExpExecArray | null;
  let resumeAt = 0;
  while ((match = line.exec(src))) {
    if (match.index < resumeAt) continue; // inside a multi-line quoted value
    const key = match[1]!;
    let pos = match.index + match[0].length;
    const quote = src[pos];
    let value: string;
    if (quote === '"' || quote === "'" || quote === '`') {
      let end = pos + 1;
      while (end < src.length && (src[end] !== quote || (quote === '"' && isEscaped(src, end)))) end++;
      if (end >= src.length) {
        // No closing quote: take the rest of the line as it is.
        const eol = src.indexOf('\n', pos);
        value = src.slice(pos, eol < 0 ? undefined : eol).trim();
        pos = eol < 0 ? src.length : eol;
      } else {
        value = src.slice(pos + 1, end);
        if (quote === '"') value = value.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' })[c]!);
        pos = end + 1;
      }
    } else {
      const eol = src.indexOf('\n', pos);
      value = src.slice(pos, eol < 0 ? undefined : eol);
      value = value.replace(/(^|[ \t])#.*$/, '').trim();
      pos = eol < 0 ? src.length : eol;
    }
    out[key] = value;
    resumeAt = pos;
    line.lastIndex = pos;
  }
  return out;
}

function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * Reads `.env` in `dir` into `env` without overriding variables already set (the
 * environment wins, as with dotenv). Returns the names it set; none when there is no file.
 */
export async function loadDotEnv(
  dir: string,
  env: Record<string, string | undefined> = process.env,
  read: ReadText = readText,
): Promise<string[]> {
  let text: string;
  try {
    text = await read(join(dir, '.env'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(`${join(dir, '.env')}: cannot be read: ${(error as Error).message}`);
  }
  const set: string[] = [];
  for (const [key, value] of Object.entries(parseDotEnv(text))) {
    if (env[key] === undefined) {
      env[key] = value;
      set.push(key);
    }
  }
  return set;
}

// ─── Building providers ──────────────────────────────────────────────────────

export interface CreateProvidersOptions {
  /**
   * A stored key for a provider (the editor's SecretStorage), asked before the
   * environment on every call. `undefined` falls back to `apiKeyEnv`.
   */
  secret?: (providerName: string) => Promise<string | undefined>;
  /** For tests and proxies. */
  fetch?: typeof fetch;
  clock?: Clock;
}

/**
 * One `OpenAIProvider` per configuration, plus the built-in `openai` (OPENAI_API_KEY,
 * OPENAI_BASE_URL, and OPENAI_ORG_ID / OPENAI_PROJECT_ID when set), which an entry
 * named `openai` adjusts. `env` is read at call time for keys, so a key exported
 * after start-up is seen.
 */
/**
 * The environment variable that holds a provider's key: `OPENAI_API_KEY` for the
 * built-in `openai` unless its entry names another; undefined for a keyless server.
 */
export function keyEnvFor(name: string, configs: readonly ProviderConfig[]): string | undefined {
  const apiKeyEnv = configs.find((c) => c.name === name)?.apiKeyEnv;
  return name === 'openai' ? (apiKeyEnv ?? 'OPENAI_API_KEY') : apiKeyEnv;
}

export function createOpenAIProviders(
  configs: readonly ProviderConfig[],
  env: Record<string, string | undefined>,
  options: CreateProvidersOptions = {},
): Record<string, Provider> {
  const builtin: ProviderConfig = {
    name: 'openai',
    baseURL: env.OPENAI_BASE_URL || DEFAULT_OPENAI_BASE_URL,
    apiKeyEnv: 'OPENAI_API_KEY',
  };
  const orgHeaders: Record<string, string> = {};
  if (env.OPENAI_ORG_ID) orgHeaders['OpenAI-Organization'] = env.OPENAI_ORG_ID;
  if (env.OPENAI_PROJECT_ID) orgHeaders['OpenAI-Project'] = env.OPENAI_PROJECT_ID;
  if (Object.keys(orgHeaders).length > 0) builtin.headers = orgHeaders;

  const byName = new Map<string, ProviderConfig>([['openai', builtin]]);
  for (const config of configs) {
    const base = config.name === 'openai' ? builtin : undefined;
    byName.set(config.name, base ? { ...base, ...config, headers: { ...base.headers, ...config.headers } } : config);
  }

  const providers: Record<string, Provider> = {};
  for (const config of byName.values()) {
    const { name, apiKeyEnv } = config;
    providers[name] = new OpenAIProvider({
      id: name,
      baseURL: config.baseURL,
      azure: config.azure,
      apiKeyEnv,
      apiKey: async () => {
        const stored = await options.secret?.(name);
        if (stored) return stored;
        // No variable named: a keyless server (the empty string says so). A variable
        // named but unset: `undefined`, which fails the call with "no API key".
        return apiKeyEnv ? env[apiKeyEnv] || undefined : '';
      },
      headers: config.headers,
      includeUsage: config.includeUsage,
      maxConcurrent: config.maxConcurrent,
      rpm: config.rpm,
      tpm: config.tpm,
      maxRetries: config.maxRetries,
      timeoutMs: config.timeoutMs,
      pricingProvider: config.pricingProvider,
      fetch: options.fetch,
      clock: options.clock,
    });
  }
  return providers;
}


