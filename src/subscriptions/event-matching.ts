import { WILDCARD_EVENT } from '../events/event-catalog';

/**
 * Whether a subscription listing `subscriptionEvents` receives an event of `type`: an exact match or the
 * wildcard `*`. Matching is case-sensitive (catalog types are UPPER_SNAKE_CASE). Pure, for the dispatcher.
 */
export function eventMatches(subscriptionEvents: readonly string[], type: string): boolean {
  if (type.length === 0) return false;
  return subscriptionEvents.some((event) => event === WILDCARD_EVENT || event === type);
}
