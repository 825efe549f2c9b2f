/**
 * The per-subscription rate limiter (rateLimitPerSecond), shared by every worker through Redis: one atomic Lua
 * script per ask, on Redis's own clock (workers' clocks may disagree).
 *
 * Two sorted sets per subscription, under one hash tag (a Redis Cluster keeps them on one node):
 * - `sent`: the time of every send it allowed in the last window. A send is allowed while fewer than `limit` lie in
 *   the window (now - window, now]; this check, made right before the POST, is what guarantees the limit.
 * - `queue`: turns handed to deliveries told to wait, by caller (the workflow id), scored with the time of their turn.
 *   A denied newcomer takes the turn after the last one (spaced window / limit apart, never before a send slot
 *   frees), so a backlog is spread at the limit's pace instead of waking all at once and asking again and again.
 *   A caller holding a turn goes before newcomers: when it comes back it sends as soon as the window allows, or waits
 *   only until the next slot frees. A turn nobody came back for within STALE_TURN_MS is dropped.
 *
 * The window is 1000 ms plus WINDOW_MARGIN_MS. The limit is enforced on the moments the script allows sends; a
 * receiver sees them later, after signing, connecting and the network, and these delays differ from one request to
 * the next. With the margin, two sends `limit` apart are at least 1100 ms apart, so a receiver never sees more than
 * `limit` in any second unless one request's delay exceeds another's by more than 100 ms. The price is a sustained
 * rate of limit / 1.1 per second (a subscription limited to 10/s gets about 9 per second under a backlog).
 *
 * Keys expire by themselves (PEXPIRE) once nobody asks; nothing needs tidying.
 */
import type { Redis } from 'ioredis';

/** Added to the 1 s window so that arrival jitter at the receiver cannot show limit + 1 in a second (see above). */
export const WINDOW_MARGIN_MS = 100;
export const RATE_WINDOW_MS = 1000 + WINDOW_MARGIN_MS;
/** A turn its caller did not come back for within this long is dropped (the workflow was cancelled, a worker died). */
export const STALE_TURN_MS = 30_000;
export const DEFAULT_RATE_LIMIT_KEY_PREFIX = 'webhooks:rate:';

export type RateDecision =
  | { readonly allowed: true; readonly nowMs: number }
  | { readonly allowed: false; readonly waitMs: number; readonly nowMs: number };

export interface RateLimiter {
  /**
   * Asks to send one request to `subscriptionId` now, under `limitPerSecond`. Allowed: the send is counted (make it
   * at once). Denied: nothing is counted; come back in `waitMs` (the caller keeps its turn until then).
   */
  acquire(subscriptionId: string, limitPerSecond: number, caller: string): Promise<RateDecision>;
}

/**
 * KEYS: sent, queue. ARGV: limit, window ms, caller, stale ms.
 * Returns {allowed (1/0), wait ms, now ms}.
 */
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local caller = ARGV[3]
local stale = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - stale))
local count = redis.call('ZCARD', KEYS[1])
local freeAt = now
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  freeAt = tonumber(oldest[2]) + window
end
local mine = redis.call('ZSCORE', KEYS[2], caller)
local queued = redis.call('ZCARD', KEYS[2])
if count < limit and (mine or queued == 0) then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. caller)
  redis.call('PEXPIRE', KEYS[1], window)
  if mine then redis.call('ZREM', KEYS[2], caller) end
  return {1, 0, now}
end
local target
if mine then
  target = math.max(freeAt, now + 1)
else
  local spacing = math.ceil(window / limit)
  target = freeAt
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  if last[2] then target = math.max(target, tonumber(last[2]) + spacing) end
  target = math.max(target, now + 1)
end
redis.call('ZADD', KEYS[2], target, caller)
local tail = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[2], math.max(tonumber(tail[2]), target) - now + stale)
return {0, target - now, now}
`;

interface AcquireCommand {
  webhooksRateAcquire(sent: string, queue: string, limit: number, windowMs: number, caller: string, staleMs: number): Promise<[number, number, number]>;
}

export function createRedisRateLimiter(options: { redis: Redis; keyPrefix?: string; windowMs?: number }): RateLimiter {
  const prefix = options.keyPrefix ?? DEFAULT_RATE_LIMIT_KEY_PREFIX;
  const windowMs = options.windowMs ?? RATE_WINDOW_MS;
  const redis = options.redis as Redis & Partial<AcquireCommand>;
  if (!redis.webhooksRateAcquire) redis.defineCommand('webhooksRateAcquire', { numberOfKeys: 2, lua: ACQUIRE_LUA });
  const command = redis as Redis & AcquireCommand;
  return {
    async acquire(subscriptionId, limitPerSecond, caller) {
      const tag = `${prefix}{${subscriptionId}}`;
      const [allowed, waitMs, nowMs] = await command.webhooksRateAcquire(`${tag}:sent`, `${tag}:queue`, limitPerSecond, windowMs, caller, STALE_TURN_MS);
      return Number(allowed) === 1 ? { allowed: true, nowMs: Number(nowMs) } : { allowed: false, waitMs: Number(waitMs), nowMs: Number(nowMs) };
    },
  };
}
