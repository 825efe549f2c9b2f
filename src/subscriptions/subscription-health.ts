/**
 * What a failed delivery attempt may do to its subscription, decided in pure code and applied by the attempt's own
 * statement (see recordAttempt in src/deliveries/delivery.repository.ts):
 * - the receiver answered 410 Gone: switch it off now, reason `gone`;
 * - otherwise, with WEBHOOKS_DISABLE_AFTER_HOURS set: switch it off, reason `failing`, when it has been failing (no
 *   success) since before `at - window`.
 * Either way the same statement stores a SUBSCRIPTION_DISABLED event for the account (a transactional outbox: the
 * switch-off and its event commit together or not at all); the listener's sweep dispatches it like any stored event,
 * to the account's other active subscriptions that ask for it. Pure.
 */
import { serialiseEnvelope, type EventEnvelope } from '../events/envelope';
import type { DisabledReason } from './subscription.entity';

export const SUBSCRIPTION_DISABLED = 'SUBSCRIPTION_DISABLED';

/** The `data` of a SUBSCRIPTION_DISABLED event. */
export interface SubscriptionDisabledData {
  readonly subscriptionId: string;
  readonly url: string;
  readonly reason: DisabledReason;
  readonly disabledAt: string;
}

/** A switch-off a failed attempt asks for, and the event stored if it happens. */
export interface SwitchOff {
  readonly reason: DisabledReason;
  /** When it is switched off (the failed attempt's start): `disabledAt`. */
  readonly at: Date;
  /** `failing` only: switch off when the subscription has been failing since before this. */
  readonly failingBefore: Date | null;
  readonly event: { readonly id: string; readonly accountId: string; readonly type: string; readonly body: string };
}

export interface FailedAttemptFacts {
  readonly subscriptionId: string;
  readonly url: string;
  readonly accountId: string;
  /** The failed attempt's start. */
  readonly at: Date;
  /** The receiver answered 410 Gone. */
  readonly gone: boolean;
  /** WEBHOOKS_DISABLE_AFTER_HOURS in ms; null: never for failing. */
  readonly disableAfterMs: number | null;
}

/** The switch-off a failed attempt asks for, or undefined when it cannot switch anything off. */
export function switchOffFor(facts: FailedAttemptFacts): SwitchOff | undefined {
  if (!facts.gone && facts.disableAfterMs === null) return undefined;
  const reason: DisabledReason = facts.gone ? 'gone' : 'failing';
  const failingBefore = facts.gone || facts.disableAfterMs === null ? null : new Date(facts.at.getTime() - facts.disableAfterMs);
  const envelope = subscriptionDisabledEnvelope({
    accountId: facts.accountId,
    data: { subscriptionId: facts.subscriptionId, url: facts.url, reason, disabledAt: facts.at.toISOString() },
  });
  return {
    reason,
    at: facts.at,
    failingBefore,
    event: { id: envelope.id, accountId: envelope.accountId, type: envelope.type, body: serialiseEnvelope(envelope) },
  };
}

/**
 * The SUBSCRIPTION_DISABLED envelope. Its id is derived from the subscription and the switch-off time, so the same
 * switch-off always yields the same event (stored once).
 */
export function subscriptionDisabledEnvelope(input: { accountId: string; data: SubscriptionDisabledData }): EventEnvelope {
  const at = new Date(input.data.disabledAt).getTime();
  return {
    id: `subscription_disabled_${input.data.subscriptionId}_${at}`,
    type: SUBSCRIPTION_DISABLED,
    accountId: input.accountId,
    occurredAt: input.data.disabledAt,
    data: { ...input.data },
  };
}
