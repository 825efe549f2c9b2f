/**
 * How long a delivery in a lane waits before it asks again. Pure, inside the sandbox: the workflow imports it.
 * - Waiting for the delivery ahead: its signal ends the wait; the timer is only the re-check for a lost signal (or a
 *   delivery ahead closed without ending its turn), from `recheck.initialMs` doubling up to `recheck.maxMs`.
 * - Waiting for the intake (events before this one on the stream not all stored yet): from 250 ms doubling to 10 s;
 *   a listener that died holding entries is claimed after WEBHOOKS_STREAM_CLAIM_IDLE_MS.
 */
import type { DeliveryLaneInput } from './deliver-webhook.types';

export const INTAKE_WAIT_INITIAL_MS = 250;
export const INTAKE_WAIT_MAX_MS = 10_000;

/** The re-check timer of the `waits`-th wait for the delivery ahead (0 for the first). */
export function recheckDelayMs(recheck: DeliveryLaneInput['recheck'], waits: number): number {
  return Math.min(recheck.maxMs, recheck.initialMs * 2 ** Math.min(waits, 30));
}

/** The `waits`-th wait for the intake (0 for the first). */
export function intakeDelayMs(waits: number): number {
  return Math.min(INTAKE_WAIT_MAX_MS, INTAKE_WAIT_INITIAL_MS * 2 ** Math.min(waits, 30));
}
