/**
 * The one error the SSRF guard raises. At creation the API turns it into a 400 with code `target_not_allowed`;
 * at delivery the activity records it on the attempt as a non-retryable failure.
 */
export class TargetNotAllowedError extends Error {
  readonly code = 'target_not_allowed' as const;

  /**
   * @param reason why the target is refused, for the operator's log, e.g. `resolves to 10.0.0.5 (private)`.
   * @param clientReason the same without what the account did not give (the address a name resolved to): what the
   *   attempt log, the API and the Temporal UI show. Defaults to `reason`.
   */
  constructor(
    readonly reason: string,
    readonly clientReason: string = reason,
  ) {
    super(`target_not_allowed: ${reason}`);
    this.name = 'TargetNotAllowedError';
  }
}

/**
 * Finds a TargetNotAllowedError in an error's cause chain (HTTP clients wrap the error raised by the DNS lookup
 * hook, e.g. got's RequestError keeps it as `cause`). Returns undefined when the failure had another origin.
 * Walks any object with a `cause`, not only Error instances: the wrapper may come from another realm.
 */
export function findTargetNotAllowed(error: unknown): TargetNotAllowedError | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    if (current instanceof TargetNotAllowedError) return current;
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
