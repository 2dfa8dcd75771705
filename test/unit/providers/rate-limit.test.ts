import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter, estimateTokens, type RateLimitSlot } from '../../../src/engine/providers/rate-limit';
import { SimulatedClock as FakeClock } from '../../../src/engine/clock';

/** Starts `count` acquisitions and records when (in clock time) each is granted. */
function startMany(limiter: RateLimiter, clock: FakeClock, count: number, tokens = 0, release = true) {
  const grants: number[] = [];
  const slots: RateLimitSlot[] = [];
  const order: number[] = [];
  const all = Array.from({ length: count }, (_, i) =>
    limiter.acquire(tokens).then((slot) => {
      grants.push(clock.now());
      order.push(i);
      if (release) slot.release();
      else slots.push(slot);
    }),
  );
  return { grants, slots, order, all: Promise.all(all) };
}

/** The most grants in any window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (const start of times) best = Math.max(best, times.filter((t) => t >= start && t < start + windowMs).length);
  return best;
}

describe('RateLimiter', () => {
  test('estimateTokens: characters / 4 of the prompt plus max_tokens', () => {
    assert.equal(estimateTokens(400, 100), 200);
    assert.equal(estimateTokens(401, 0), 101);
    assert.equal(estimateTokens(0, undefined), 256, 'a default completion budget when max_tokens is unset');
  });

  test('without limits every request goes at once', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ clock });
    const run = startMany(limiter, clock, 50);
    await run.all;
    assert.deepEqual(new Set(run.grants), new Set([0]));
  });

  test('maxConcurrent: the next caller waits for a release, in FIFO order', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ maxConcurrent: 2, clock });
    const run = startMany(limiter, clock, 5, 0, false);
    await clock.advance(0);
    assert.equal(run.slots.length, 2);
    assert.equal(limiter.active, 2);
    assert.equal(limiter.queued, 3);
    run.slots[0]!.release();
    run.slots[0]!.release(); // a second release of the same slot is ignored
    await clock.advance(0);
    assert.equal(run.slots.length, 3);
    assert.equal(limiter.active, 2);
    run.slots[1]!.release();
    run.slots[2]!.release();
    run.slots[3]?.release();
    await clock.advance(0);
    run.slots.slice(3).forEach((s) => s.release());
    await run.all;
    assert.deepEqual(run.order, [0, 1, 2, 3, 4]);
    assert.equal(limiter.active, 0);
  });

  test('rpm: 600 requests per minute lets 5 go at once, then one every 100 ms, and never more than the budget', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ rpm: 600, clock });
    const run = startMany(limiter, clock, 100);
    for (let i = 0; i < 200 && run.grants.length < 100; i++) await clock.advance(100);
    await run.all;
    assert.deepEqual(run.grants.slice(0, 5), [0, 0, 0, 0, 0]);
    for (let i = 5; i < 100; i++) assert.ok(Math.abs(run.grants[i]! - (i - 4) * 100) <= 1, `grant ${i} at ${run.grants[i]}`);
    // In any second at most 10 (+ the burst of 5); over the whole run, the rate is the budget.
    assert.ok(maxInWindow(run.grants, 1000) <= 10 + 5);
    const minutes = (run.grants.at(-1)! - run.grants[0]!) / 60_000;
    assert.ok((100 - 5) / minutes <= 600 + 1, `achieved ${(100 - 5) / minutes} rpm`);
  });

  test('rpm: a small budget spreads requests evenly (6 per minute → one every 10 s)', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ rpm: 6, clock });
    const run = startMany(limiter, clock, 4);
    await clock.advance(35_000);
    await run.all;
    assert.deepEqual(run.grants, [0, 10_000, 20_000, 30_000]);
  });

  test('tpm: requests wait for the token budget; a request larger than the bucket goes once it is full', async () => {
    const clock = new FakeClock();
    // 6,000 tokens per minute = 100 per second; the bucket holds one second's worth.
    const limiter = new RateLimiter({ tpm: 6_000, clock });
    const run = startMany(limiter, clock, 4, 50);
    await clock.advance(2_000);
    await run.all;
    assert.deepEqual(run.grants, [0, 0, 500, 1000]);

    const big = startMany(limiter, clock, 2, 250);
    await clock.advance(10_000);
    await big.all;
    // The bucket was empty at t=1000: full again at t=2000 and the big one goes (into debt);
    // the next waits until the bucket is full again: 150 of debt + 100 = 2.5 s later.
    assert.deepEqual(big.grants, [2_000, 4_500]);
  });

  test('release(actualTokens) corrects the estimate', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ tpm: 6_000, clock });
    const first = await limiter.acquire(100); // empties the bucket
    first.release(10); // it used only 10: 90 come back
    const second = startMany(limiter, clock, 1, 90);
    await clock.advance(0);
    assert.deepEqual(second.grants, [0]);
  });

  test('an aborted wait rejects with the reason, leaves the queue, and lets the next caller go', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ maxConcurrent: 1, clock });
    const held = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(0, controller.signal);
    const behind = limiter.acquire();
    await clock.advance(0);
    assert.equal(limiter.queued, 2);
    controller.abort(new Error('cancelled by test'));
    await assert.rejects(waiting, /cancelled by test/);
    assert.equal(limiter.queued, 1);
    held.release();
    const slot = await behind;
    slot.release();
    assert.equal(limiter.active, 0);
    await assert.rejects(limiter.acquire(0, AbortSignal.abort(new Error('already'))), /already/);
  });

  test('an abort while waiting on the rate budget clears the way for the others', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ rpm: 60, clock });
    (await limiter.acquire()).release();
    const controller = new AbortController();
    const waiting = limiter.acquire(0, controller.signal);
    const behind = startMany(limiter, clock, 1);
    await clock.advance(500);
    controller.abort(new Error('stop'));
    await assert.rejects(waiting, /stop/);
    await clock.advance(600);
    await behind.all;
    assert.deepEqual(behind.grants, [1_000]);
  });

  test('pauseFor holds back new grants (a server said Retry-After)', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ clock });
    limiter.pauseFor(3_000);
    const run = startMany(limiter, clock, 2);
    await clock.advance(2_999);
    assert.equal(run.grants.length, 0);
    await clock.advance(1);
    await run.all;
    assert.deepEqual(run.grants, [3_000, 3_000]);
  });
});
