import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  createOpenAIProviders,
  loadConfigFile,
  loadDotEnv,
  parseConfig,
  parseDotEnv,
} from '../../../src/engine/providers/config';
import { OpenAIProvider } from '../../../src/engine/providers/openai';
import { isProviderError } from '../../../src/engine/providers/errors';
import type { ModelRequest } from '../../../src/engine/types';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai-server';

const request = (provider: string, model = 'gpt-4o-mini'): ModelRequest => ({
  provider,
  model,
  messages: [{ role: 'user', content: 'hi' }],
  params: {},
  signal: new AbortController().signal,
  stepId: 's',
  attempt: 1,
});

describe('parseConfig', () => {
  test('accepts a list of providers', () => {
    const config = parseConfig(
      JSON.stringify({
        providers: [
          { name: 'local', baseURL: 'http://localhost:11434/v1' },
          { name: 'groq', baseURL: 'https://api.groq.com/openai/v1', apiKeyEnv: 'GROQ_API_KEY', rpm: 30, tpm: 6000, maxConcurrent: 4 },
          { name: 'azure', azure: { endpoint: 'https://me.openai.azure.com', apiVersion: '2024-10-21', deployment: 'gpt4o' }, apiKeyEnv: 'AZURE_OPENAI_API_KEY' },
          { name: 'openai', rpm: 500 },
        ],
        somethingForOthers: true,
      }),
      'orchestrate.config.json',
    );
    assert.equal(config.file, 'orchestrate.config.json');
    assert.deepEqual(config.providers.map((p) => p.name), ['local', 'groq', 'azure', 'openai']);
    assert.deepEqual(config.providers[1], {
      name: 'groq',
      baseURL: 'https://api.groq.com/openai/v1',
      apiKeyEnv: 'GROQ_API_KEY',
      rpm: 30,
      tpm: 6000,
      maxConcurrent: 4,
    });
    assert.deepEqual(config.providers[2]!.azure, { endpoint: 'https://me.openai.azure.com', apiVersion: '2024-10-21', deployment: 'gpt4o' });
  });

  test('accepts an object keyed by name', () => {
    const config = parseConfig(JSON.stringify({ providers: { local: { baseURL: 'http://127.0.0.1:8080/v1', includeUsage: false } } }), 'f');
    assert.deepEqual(config.providers, [{ name: 'local', baseURL: 'http://127.0.0.1:8080/v1', includeUsage: false }]);
  });

  test('no providers is fine', () => {
    assert.deepEqual(parseConfig('{}', 'f').providers, []);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{', /f: not valid JSON/],
    ['not an object', [], /must hold a JSON object/],
    ['a typo in a key', { providers: [{ name: 'x', baseURL: 'http://x/v1', rateLimit: 5 }] }, /providers\[0\] \("x"\): unknown key "rateLimit"/],
    ['a bad URL', { providers: [{ name: 'x', baseURL: 'localhost:11434' }] }, /"baseURL" must be an http\(s\) URL/],
    ['no base URL', { providers: [{ name: 'x' }] }, /needs a "baseURL"/],
    ['a reserved name', { providers: [{ name: 'mock', baseURL: 'http://x/v1' }] }, /taken by a built-in provider/],
    ['a duplicate', { providers: [{ name: 'x', baseURL: 'http://x/v1' }, { name: 'x', baseURL: 'http://y/v1' }] }, /"x" is defined twice/],
    ['a key instead of a variable name', { providers: [{ name: 'x', baseURL: 'http://x/v1', apiKeyEnv: 'sk-abc-123' }] }, /name of an environment variable/],
    ['a negative rpm', { providers: [{ name: 'x', baseURL: 'http://x/v1', rpm: -1 }] }, /"rpm" must be a positive number/],
    ['a half azure', { providers: [{ name: 'x', azure: { endpoint: 'https://x' } }] }, /"azure" must be/],
    ['azure and baseURL', { providers: [{ name: 'x', baseURL: 'http://x/v1', azure: { endpoint: 'https://x', apiVersion: 'v' } }] }, /either "baseURL" or "azure"/],
  ];
  for (const [what, value, message] of bad) {
    test(`rejects ${what}`, () => {
      assert.throws(() => parseConfig(typeof value === 'string' ? value : JSON.stringify(value), 'f'), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

describe('loadConfigFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'orchestrate-config-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('none: no providers', async () => {
    assert.deepEqual(await loadConfigFile(dir), { providers: [] });
  });

  test('.orchestrate/config.json, and orchestrate.config.json first when both exist', async () => {
    await mkdir(join(dir, '.orchestrate'));
    await writeFile(join(dir, '.orchestrate', 'config.json'), JSON.stringify({ providers: [{ name: 'b', baseURL: 'http://b/v1' }] }));
    const hidden = await loadConfigFile(dir);
    assert.equal(hidden.file, join(dir, '.orchestrate', 'config.json'));
    assert.equal(hidden.providers[0]!.name, 'b');
    await writeFile(join(dir, 'orchestrate.config.json'), JSON.stringify({ providers: [{ name: 'a', baseURL: 'http://a/v1' }] }));
    const top = await loadConfigFile(dir);
    assert.equal(top.file, join(dir, 'orchestrate.config.json'));
    assert.equal(top.providers[0]!.name, 'a');
    await rm(dir, { recursive: true, force: true });
  });

  test('a broken file is an error naming it', async () => {
    await writeFile(join(dir, 'orchestrate.config.json'), '{ "providers": [ }');
    await assert.rejects(loadConfigFile(dir), (error: Error) => error instanceof ConfigError && error.message.startsWith(join(dir, 'orchestrate.config.json')));
    await rm(dir, { recursive: true, force: true });
  });
});

describe('.env', () => {
  test('parseDotEnv: comments, export, quotes, escapes, inline comments, empty values', () => {
    const parsed = parseDotEnv(
      [
        '# a comment',
        'OPENAI_API_KEY=sk-abc123',
        'export OPENAI_BASE_URL = http://localhost:8080/v1  # local server',
        "SINGLE='literal \\n # not a comment'",
        'DOUBLE="line one\\nline two \\"quoted\\""',
        'MULTI="first',
        'second"',
        'EMPTY=',
        'HASH=abc#def',
        'not a pair',
        '  SPACED  =  value with spaces  ',
        'WINDOWS=crlf\r',
      ].join('\n'),
    );
    assert.deepEqual(parsed, {
      OPENAI_API_KEY: 'sk-abc123',
      OPENAI_BASE_URL: 'http://localhost:8080/v1',
      SINGLE: 'literal \\n # not a comment',
      DOUBLE: 'line one\nline two "quoted"',
      MULTI: 'first\nsecond',
      EMPTY: '',
      HASH: 'abc#def',
      SPACED: 'value with spaces',
      WINDOWS: 'crlf',
    });
  });

  test('loadDotEnv fills in missing variables and never overrides', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orchestrate-env-'));
    try {
      await writeFile(join(dir, '.env'), 'OPENAI_API_KEY=from-file\nOPENAI_BASE_URL=http://file/v1\n');
      const env: Record<string, string | undefined> = { OPENAI_API_KEY: 'from-shell' };
      assert.deepEqual(await loadDotEnv(dir, env), ['OPENAI_BASE_URL']);
      assert.deepEqual(env, { OPENAI_API_KEY: 'from-shell', OPENAI_BASE_URL: 'http://file/v1' });
      assert.deepEqual(await loadDotEnv(join(dir, 'missing'), env), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('createOpenAIProviders', () => {
  let fake: FakeOpenAI;
  let open: FakeOpenAI;
  before(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-env-key-123456' });
    open = await startFakeOpenAI(); // a local server that needs no key
  });
  after(async () => {
    await fake.close();
    await open.close();
  });
  beforeEach(() => {
    fake.reset();
    open.reset();
  });

  test('the built-in openai reads OPENAI_API_KEY and OPENAI_BASE_URL (and OPENAI_ORG_ID / OPENAI_PROJECT_ID)', async () => {
    const env = { OPENAI_API_KEY: 'sk-env-key-123456', OPENAI_BASE_URL: fake.url, OPENAI_ORG_ID: 'org-1', OPENAI_PROJECT_ID: 'proj-1' };
    const providers = createOpenAIProviders([], env);
    assert.deepEqual(Object.keys(providers), ['openai']);
    assert.ok(providers.openai instanceof OpenAIProvider);
    const response = await providers.openai!.complete(request('openai'));
    assert.equal(response.text, 'You said: hi');
    const sent = fake.requests[0]!;
    assert.equal(sent.headers.authorization, 'Bearer sk-env-key-123456');
    assert.equal(sent.headers['openai-organization'], 'org-1');
    assert.equal(sent.headers['openai-project'], 'proj-1');
  });

  test('keys are read at call time; a missing one names the variable', async () => {
    const env: Record<string, string | undefined> = { OPENAI_BASE_URL: fake.url };
    const providers = createOpenAIProviders([], env);
    await assert.rejects(providers.openai!.complete(request('openai')), (error: unknown) => {
      assert.ok(isProviderError(error));
      assert.equal(error.code, 'auth');
      assert.match(error.message, /no API key for provider `openai`.*OPENAI_API_KEY/);
      return true;
    });
    env.OPENAI_API_KEY = 'sk-env-key-123456';
    assert.equal((await providers.openai!.complete(request('openai'))).text, 'You said: hi');
  });

  test('named providers: keyless local servers, apiKeyEnv, and a stored secret before the environment', async () => {
    const providers = createOpenAIProviders(
      [
        { name: 'local', baseURL: open.url },
        { name: 'team', baseURL: fake.url, apiKeyEnv: 'TEAM_KEY', headers: { 'X-Team': 'blue' } },
        { name: 'stored', baseURL: fake.url, apiKeyEnv: 'UNSET_KEY' },
      ],
      { TEAM_KEY: 'sk-env-key-123456' },
      { secret: async (name) => (name === 'stored' ? 'sk-env-key-123456' : undefined) },
    );
    assert.deepEqual(Object.keys(providers).sort(), ['local', 'openai', 'stored', 'team']);
    assert.equal((await providers.local!.complete(request('local', 'llama3'))).text, 'You said: hi');
    assert.equal((await providers.team!.complete(request('team'))).text, 'You said: hi');
    assert.equal(fake.requests[0]!.headers['x-team'], 'blue');
    assert.equal((await providers.stored!.complete(request('stored'))).text, 'You said: hi');
  });

  test('an entry named openai adjusts the built-in one', async () => {
    const providers = createOpenAIProviders([{ name: 'openai', rpm: 120, maxConcurrent: 3 }], {
      OPENAI_API_KEY: 'sk-env-key-123456',
      OPENAI_BASE_URL: fake.url,
    });
    const openai = providers.openai as OpenAIProvider;
    assert.equal(openai.limiter.rpm, 120);
    assert.equal(openai.limiter.maxConcurrent, 3);
    assert.equal(openai.baseURL, fake.url);
    assert.equal((await openai.complete(request('openai'))).text, 'You said: hi');
  });
});
