import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { seededRandom, SimulatedClock, systemClock } from '../../../src/engine/clock';

test('the system clock sleeps past setTimeout’s limit of 2³¹ − 1 ms instead of waking at once', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  t.after(() => mock.timers.reset());
  let woke = false;
  const sleeping = systemClock.sleep(2 ** 31 + 5_000).then(() => {
    woke = true;
  });
  mock.timers.tick(2 ** 31 - 1);
  await Promise.resolve();
  assert.equal(woke, false, 'still asleep after the first piece');
  mock.timers.tick(5_001);
  await sleeping;
  assert.equal(woke, true);
});

test('a simulated sleep that ends leaves no abort listener behind on its signal', async () => {
  const clock = new SimulatedClock();
  const controller = new AbortController();
  let listeners = 0;
  const add = controller.signal.addEventListener.bind(controller.signal);
  const remove = controller.signal.removeEventListener.bind(controller.signal);
  controller.signal.addEventListener = ((...args: Parameters<typeof add>) => (listeners++, add(...args))) as typeof add;
  controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => (listeners--, remove(...args))) as typeof remove;
  for (let i = 0; i < 20; i++) {
    const sleep = clock.sleep(10, controller.signal);
    await clock.advance(10);
    await sleep;
  }
  assert.equal(listeners, 0);
});

test('a seeded random source repeats itself and stays in [0, 1)', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const first = Array.from({ length: 1_000 }, () => a());
  assert.deepEqual(Array.from({ length: 1_000 }, () => b()), first);
  assert.ok(first.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(Array.from({ length: 10 }, seededRandom(43)), first.slice(0, 10));
});
