/**
 * A bound per account or per subscription (docs/limits.md) would be exceeded: nothing was written. The API answers
 * 409 `limit_reached` naming the bound, its value and the way out.
 */
export class LimitReachedError extends Error {
  constructor(
    /** What is bounded, e.g. `subscriptions per account`. */
    readonly bound: string,
    readonly limit: number,
    /** What the caller can do about it. */
    readonly hint: string,
  ) {
    super(`at most ${limit} ${bound}; ${hint}`);
    this.name = 'LimitReachedError';
  }
}
