import type { RequestHandler } from 'express';
import { ApiError } from './api-error';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends (the Retry-After of a refusal). */
  resetSeconds: number;
}

export interface RateLimiter {
  take(key: string): RateDecision;
}

const WINDOW_MS = 60_000;

/**
 * A fixed one-minute window per key, in this process's memory: at most `limitPerMinute` requests per key per
 * window. Simple and cheap; with several API processes each one counts separately (the effective limit is
 * multiplied by the number of processes). `now` is injected so tests control the clock.
 */
export function createFixedWindowLimiter(limitPerMinute: number, now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    take(key) {
      const at = now();
      const start = at - (at % WINDOW_MS);
      if (windows.size > 10_000) {
        for (const [k, w] of windows) if (w.start < start) windows.delete(k);
      }
      let window = windows.get(key);
      if (!window || window.start !== start) {
        window = { start, count: 0 };
        windows.set(key, window);
      }
      const resetSeconds = Math.max(1, Math.ceil((start + WINDOW_MS - at) / 1000));
      if (window.count >= limitPerMinute) return { allowed: false, limit: limitPerMinute, remaining: 0, resetSeconds };
      window.count += 1;
      return { allowed: true, limit: limitPerMinute, remaining: limitPerMinute - window.count, resetSeconds };
    },
  };
}

/** Limits per API key (runs after the auth middleware); 429 with Retry-After when the window is used up. */
export function createRateLimitMiddleware(limiter: RateLimiter): RequestHandler {
  return (_req, res, next) => {
    const keyId = String(res.locals.apiKeyId);
    const decision = limiter.take(keyId);
    res.set({
      'RateLimit-Limit': String(decision.limit),
      'RateLimit-Remaining': String(decision.remaining),
      'RateLimit-Reset': String(decision.resetSeconds),
    });
    if (!decision.allowed) {
      throw new ApiError(429, 'rate_limited', `too many requests; retry in ${decision.resetSeconds} s`, [], {
        'Retry-After': String(decision.resetSeconds),
      });
    }
    next();
  };
}
