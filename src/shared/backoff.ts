/** Exponential backoff: the wait before try `attempt` (1-based) is `initialMs * factor^(attempt-1)`, capped. Pure. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Default 2. */
  readonly factor?: number;
}

export function backoffDelay(backoff: Backoff, attempt: number): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const delay = backoff.initialMs * (backoff.factor ?? 2) ** exponent;
  return Number.isFinite(delay) ? Math.min(backoff.maxMs, delay) : backoff.maxMs;
}
