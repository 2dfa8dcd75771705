import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { costFor } from '../../../src/engine/providers/pricing';

const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, totalTokens: 2_000_000 };
const close = (actual: number | undefined, expected: number): void => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);
};

describe('costFor (@pydantic/genai-prices, offline)', () => {
  test('prices a known OpenAI model by its per-million rates', () => {
    // gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens.
    close(costFor('openai', 'gpt-4o-mini', usage), 0.75);
    close(costFor('openai', 'gpt-4o-mini', { inputTokens: 1000, outputTokens: 500, totalTokens: 1500 }), 0.00045);
  });

  test('dated snapshots resolve to their model', () => {
    assert.equal(costFor('openai', 'gpt-4o-mini-2024-07-18', usage), costFor('openai', 'gpt-4o-mini', usage));
  });

  test('cached prompt tokens are cheaper', () => {
    const plain = costFor('openai', 'gpt-4o-mini', usage)!;
    const cached = costFor('openai', 'gpt-4o-mini', usage, { cachedInputTokens: 500_000 })!;
    assert.ok(cached < plain);
  });

  test('a provider named differently is recognised by its base URL', () => {
    const byUrl = costFor('fast', 'llama-3.1-8b-instant', usage, { baseURL: 'https://api.groq.com/openai/v1' });
    assert.ok(byUrl !== undefined && byUrl > 0);
    assert.equal(byUrl, costFor('groq', 'llama-3.1-8b-instant', usage));
  });

  test('unknown: a local server (even serving a model called gpt-4o), an unknown provider, an unknown model', () => {
    assert.equal(costFor('local', 'gpt-4o', usage, { baseURL: 'http://localhost:11434/v1' }), undefined);
    assert.equal(costFor('local', 'gpt-4o', usage, { baseURL: 'http://127.0.0.1:8080/v1' }), undefined);
    assert.equal(costFor('my-server', 'gpt-4o', usage), undefined);
    assert.equal(costFor('openai', 'gpt-99-imaginary', usage), undefined);
    assert.equal(costFor('openai', '', usage), undefined);
  });

  test('zero usage costs nothing', () => {
    assert.equal(costFor('openai', 'gpt-4o-mini', { inputTokens: 0, outputTokens: 0, totalTokens: 0 }), 0);
  });
});
