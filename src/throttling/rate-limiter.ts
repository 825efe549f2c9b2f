/**
 * The per-subscription rate limiter (rateLimitPerSecond), shared by every worker through Redis: atomic Lua scripts on
 * Redis's own clock (workers' clocks may disagree).
 *
 * What it guarantees: the receiver never gets more than `limit` requests in any second, whatever the delays between
 * the limiter's answer and the request's arrival (an event loop that stalls, a slow connect, the network). A send
 * holds its slot while it is in flight and for one window (1 s) after its answer came back: the answer comes after
 * the request arrived, so two sends `limit` apart arrive at least a second apart. No safety margin on the clock is
 * needed. The price: a slot is busy for the request's duration plus a second, so a subscription limited to L/s
 * gets about L / (1 + duration in s) per second under a backlog (L / 1.05 for an endpoint answering in 50 ms).
 *
 * Three sorted sets per subscription, under one hash tag (a Redis Cluster keeps them on one node):
 * - `flying`: sends allowed and not answered yet, scored with a deadline (allowed at + maxInFlightMs). A worker that
 *   died mid-request never reports its answer: past the deadline its request has surely ended (the HTTP timeout is
 *   shorter), so the entry moves to `sent` at its deadline.
 * - `sent`: answered sends, scored with the time of their answer, kept for one window.
 * - `queue`: turns handed to deliveries told to wait, by caller (the workflow id), scored with the time of the turn.
 *   A denied newcomer takes the turn after the last one (spaced window / limit apart, never before a slot frees), so
 *   a backlog is spread at the limit's pace instead of waking all at once and asking again and again. A caller
 *   holding a turn goes before newcomers; when it comes back it sends as soon as a slot is free, or waits only until
 *   the next one frees. A turn nobody came back for within STALE_TURN_MS is dropped.
 *
 * Keys expire by themselves (PEXPIRE) once nobody asks; nothing needs tidying.
 */
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/clients';

/** A send holds its slot for this long after its answer. */
export const RATE_WINDOW_MS = 1000;
/** A turn its caller did not come back for within this long is dropped (the workflow was cancelled, a worker died). */
export const STALE_TURN_MS = 30_000;
export const DEFAULT_RATE_LIMIT_KEY_PREFIX = 'webhooks:rate:';

export type RateDecision =
  | { readonly allowed: true; readonly nowMs: number; readonly permit: string }
  | { readonly allowed: false; readonly waitMs: number; readonly nowMs: number };

export interface RateLimiter {
  /**
   * Asks to send one request to `subscriptionId` now, under `limitPerSecond`. Allowed: the send holds a slot (make it
   * at once, then call `answered` with the permit). Denied: nothing is held; come back in `waitMs` (the caller keeps
   * its turn until then).
   */
  acquire(subscriptionId: string, limitPerSecond: number, caller: string): Promise<RateDecision>;
  /** The allowed send got its answer (or failed): its slot frees one window from now. */
  answered(subscriptionId: string, permit: string): Promise<void>;
}

/**
 * KEYS: flying, sent, queue. ARGV: limit, window ms, caller, stale ms, max in flight ms, permit.
 * Returns {allowed (1/0), wait ms, now ms}.
 */
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local caller = ARGV[3]
local stale = tonumber(ARGV[4])
local maxInFlight = tonumber(ARGV[5])
local lost = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'WITHSCORES')
for i = 1, #lost, 2 do
  redis.call('ZADD', KEYS[2], lost[i + 1], lost[i])
  redis.call('ZREM', KEYS[1], lost[i])
end
if #lost > 0 then redis.call('PEXPIRE', KEYS[2], window) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. (now - stale))
local answered = redis.call('ZCARD', KEYS[2])
local count = answered + redis.call('ZCARD', KEYS[1])
local freeAt = now
if count >= limit then
  local k = count - limit
  if k < answered then
    freeAt = tonumber(redis.call('ZRANGE', KEYS[2], k, k, 'WITHSCORES')[2]) + window
  else
    freeAt = now + window
  end
end
local mine = redis.call('ZSCORE', KEYS[3], caller)
local queued = redis.call('ZCARD', KEYS[3])
if count < limit and (mine or queued == 0) then
  redis.call('ZADD', KEYS[1], now + maxInFlight, ARGV[6])
  redis.call('PEXPIRE', KEYS[1], maxInFlight + window)
  if mine then redis.call('ZREM', KEYS[3], caller) end
  return {1, 0, now}
end
local target
if mine then
  target = math.max(freeAt, now + 1)
else
  target = freeAt
  local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
  if last[2] then target = math.max(target, tonumber(last[2]) + math.ceil(window / limit)) end
  target = math.max(target, now + 1)
end
redis.call('ZADD', KEYS[3], target, caller)
local tail = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[3], math.max(tonumber(tail[2]), target) - now + stale)
return {0, target - now, now}
`;

/** KEYS: flying, sent. ARGV: permit, window ms. The permit's slot frees one window after now. */
const ANSWERED_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
end
return now
`;

interface LimiterCommands {
  webhooksRateAcquire(flying: string, sent: string, queue: string, ...args: Array<string | number>): Promise<[number, number, number]>;
  webhooksRateAnswered(flying: string, sent: string, permit: string, windowMs: number): Promise<number>;
}

export interface RedisRateLimiterOptions {
  readonly redis: RedisClient;
  readonly keyPrefix?: string;
  /**
   * Longest a send can be in flight (the HTTP timeout and some): a send never reported answered (its worker died)
   * is taken as answered at this deadline.
   */
  readonly maxInFlightMs: number;
  readonly windowMs?: number;
}

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const prefix = options.keyPrefix ?? DEFAULT_RATE_LIMIT_KEY_PREFIX;
  const windowMs = options.windowMs ?? RATE_WINDOW_MS;
  const redis = options.redis as RedisClient & Partial<LimiterCommands>;
  if (!redis.webhooksRateAcquire) redis.defineCommand('webhooksRateAcquire', { numberOfKeys: 3, lua: ACQUIRE_LUA });
  if (!redis.webhooksRateAnswered) redis.defineCommand('webhooksRateAnswered', { numberOfKeys: 2, lua: ANSWERED_LUA });
  const commands = redis as RedisClient & LimiterCommands;
  const keysOf = (subscriptionId: string) => {
    const tag = `${prefix}{${subscriptionId}}`;
    return { flying: `${tag}:flying`, sent: `${tag}:sent`, queue: `${tag}:queue` };
  };
  return {
    async acquire(subscriptionId, limitPerSecond, caller) {
      const keys = keysOf(subscriptionId);
      const permit = `${caller}:${randomBytes(6).toString('hex')}`;
      const [allowed, waitMs, nowMs] = await commands.webhooksRateAcquire(
        keys.flying,
        keys.sent,
        keys.queue,
        limitPerSecond,
        windowMs,
        caller,
        STALE_TURN_MS,
        options.maxInFlightMs,
        permit,
      );
      return Number(allowed) === 1
        ? { allowed: true, nowMs: Number(nowMs), permit }
        : { allowed: false, waitMs: Number(waitMs), nowMs: Number(nowMs) };
    },
    async answered(subscriptionId, permit) {
      const keys = keysOf(subscriptionId);
      await commands.webhooksRateAnswered(keys.flying, keys.sent, permit, windowMs);
    },
  };
}
