/**
 * The shared rate limiter's decisions, on the real Redis (its Lua script and Redis's clock), with a key prefix of
 * this run's own, deleted at the end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisRateLimiter, RATE_WINDOW_MS, type RateDecision, type RateLimiter } from '../../src/throttling/rate-limiter';

const prefix = `webhooks:test-rate:${process.env.TEST_RUN_ID ?? 'local'}:${randomBytes(4).toString('hex')}:`;
let redis: Redis;
let limiter: RateLimiter;

beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  limiter = createRedisRateLimiter({ redis, keyPrefix: prefix, maxInFlightMs: 3_000 });
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** Redis's clock in ms, read as the limiter's scripts read it (TIME). */
async function redisNowMs(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Waits until Redis's clock reaches `atMs`: the limiter's windows, turns and deadlines are all measured by it. */
async function untilRedisTime(atMs: number): Promise<void> {
  while ((await redisNowMs()) < atMs) await new Promise((resolve) => setTimeout(resolve, 5));
}

function denied(decision: RateDecision): { waitMs: number; nowMs: number } {
  if (decision.allowed) throw new Error('expected a denial');
  return decision;
}

/** Asks and, when allowed, reports the answer at once (a send that took no time). */
async function sendNow(subscription: string, limit: number, caller: string): Promise<RateDecision> {
  const decision = await limiter.acquire(subscription, limit, caller);
  if (decision.allowed) await limiter.answered(subscription, decision.permit);
  return decision;
}

describe('rate limiter (Redis, slots held while in flight and a second after the answer)', () => {
  it('allows the limit at once, then says to wait until the window frees a slot', async () => {
    const subscription = randomUUID();
    const first = await Promise.all([1, 2, 3, 4, 5].map((n) => sendNow(subscription, 5, `caller-${n}`)));
    expect(first.map((d) => d.allowed)).toEqual([true, true, true, true, true]);
    const sixth = denied(await limiter.acquire(subscription, 5, 'caller-6'));
    expect(sixth.waitMs).toBeGreaterThan(0);
    expect(sixth.waitMs).toBeLessThanOrEqual(RATE_WINDOW_MS);
    // Another subscription has its own window.
    expect((await limiter.acquire(randomUUID(), 5, 'caller-6')).allowed).toBe(true);
  });

  it('gives waiting newcomers turns spaced window / limit apart, so a backlog does not wake all at once', async () => {
    const subscription = randomUUID();
    for (let n = 0; n < 4; n += 1) expect((await sendNow(subscription, 4, `sent-${n}`)).allowed).toBe(true);
    const turns: number[] = [];
    for (let n = 0; n < 5; n += 1) {
      const decision = denied(await limiter.acquire(subscription, 4, `waiting-${n}`));
      turns.push(decision.nowMs + decision.waitMs);
    }
    const spacing = Math.ceil(RATE_WINDOW_MS / 4);
    expect(turns.slice(1).map((turn, i) => turn - turns[i]!)).toEqual([spacing, spacing, spacing, spacing]);
    // Asking again before its turn keeps the caller's place rather than taking a new one at the end.
    const again = denied(await limiter.acquire(subscription, 4, 'waiting-0'));
    expect(again.nowMs + again.waitMs).toBeLessThanOrEqual(turns[0]!);
  });

  it('lets a caller holding a turn through at its turn while a newcomer queues behind the others', async () => {
    const subscription = randomUUID();
    expect((await sendNow(subscription, 1, 'sent')).allowed).toBe(true);
    const holder = denied(await limiter.acquire(subscription, 1, 'holder'));
    denied(await limiter.acquire(subscription, 1, 'second'));
    await untilRedisTime(holder.nowMs + holder.waitMs);
    expect((await sendNow(subscription, 1, 'holder')).allowed).toBe(true);
    const newcomer = denied(await limiter.acquire(subscription, 1, 'newcomer'));
    expect(newcomer.waitMs).toBeGreaterThan(0);
  });

  it('never allows more than the limit in any window while 20 callers wait for their turns, each asking a few times', async () => {
    const subscription = randomUUID();
    const limit = 5;
    const allowedAt: number[] = [];
    const asks: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        for (let ask = 1; ; ask += 1) {
          const decision = await limiter.acquire(subscription, limit, `caller-${n}`);
          if (decision.allowed) {
            allowedAt.push(decision.nowMs);
            asks.push(ask);
            // The request takes a moment (its slot is held while in flight): a pause standing for the send itself.
            await new Promise((resolve) => setTimeout(resolve, 20));
            await limiter.answered(subscription, decision.permit);
            return;
          }
          await untilRedisTime(decision.nowMs + decision.waitMs);
        }
      }),
    );
    allowedAt.sort((a, b) => a - b);
    expect(allowedAt).toHaveLength(20);
    const mostInAWindow = Math.max(...allowedAt.map((start) => allowedAt.filter((t) => t >= start && t < start + RATE_WINDOW_MS).length));
    expect(mostInAWindow).toBe(limit);
    // The first five at once, each of the others about twice (its first ask, then at its turn): no stampede.
    expect(asks.filter((n) => n === 1)).toHaveLength(limit);
    expect(asks.reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(3 * 20);
  });

  it('holds the slot of a send in flight until its answer, and for a window after it', async () => {
    const subscription = randomUUID();
    const flying = await limiter.acquire(subscription, 1, 'slow');
    if (!flying.allowed) throw new Error('expected the first send to be allowed');
    // The request takes longer than a window (by Redis's clock): its slot is still held.
    await untilRedisTime(flying.nowMs + RATE_WINDOW_MS + 100);
    expect((await limiter.acquire(subscription, 1, 'next')).allowed).toBe(false);
    const answeredNoEarlierThan = await redisNowMs();
    await limiter.answered(subscription, flying.permit);
    const after = denied(await limiter.acquire(subscription, 1, 'next'));
    // The slot frees a whole window after the answer, not after the (long past) acquire.
    expect(after.nowMs + after.waitMs).toBeGreaterThanOrEqual(answeredNoEarlierThan + RATE_WINDOW_MS);
  });

  it('frees the slot of a send never reported answered (its worker died) one window after its deadline', async () => {
    const subscription = randomUUID();
    const short = createRedisRateLimiter({ redis, keyPrefix: prefix, maxInFlightMs: 200 });
    const lost = await short.acquire(subscription, 1, 'lost');
    expect(lost.allowed).toBe(true);
    await untilRedisTime(lost.nowMs + 200 + 1);
    // Past the deadline: the send counts as answered at its deadline, so its slot frees a window after that.
    const waiting = denied(await short.acquire(subscription, 1, 'next'));
    expect(waiting.waitMs).toBeLessThanOrEqual(RATE_WINDOW_MS);
    await untilRedisTime(waiting.nowMs + waiting.waitMs);
    expect((await short.acquire(subscription, 1, 'next')).allowed).toBe(true);
  });

  it('leaves keys that expire by themselves', async () => {
    const subscription = randomUUID();
    const first = await limiter.acquire(subscription, 1, 'a');
    await limiter.acquire(subscription, 1, 'b');
    const keys = ['flying', 'queue'].map((name) => `${prefix}{${subscription}}:${name}`);
    if (first.allowed) await limiter.answered(subscription, first.permit);
    keys.push(`${prefix}{${subscription}}:sent`);
    const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
    expect(ttls.slice(1).every((ttl) => ttl > 0)).toBe(true);
  });
});
