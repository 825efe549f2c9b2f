/** Messages between the benchmark and its receiver process (bench/receiver.ts) over the IPC channel. */

export type ReceiverRequest =
  | { type: 'configure'; requestId: number; signingSecret: string }
  | { type: 'collect'; requestId: number; prefix: string; timed?: boolean }
  | { type: 'count'; requestId: number; prefix: string }
  | { type: 'forget'; requestId: number; prefix: string };

/**
 * [event id, scheduled send time (ms), receipt times (ms)], and with `timed` each webhook request's [arrived,
 * answered] (ms since the epoch, sub-millisecond).
 */
export type CollectedEvent = [string, number, number[]] | [string, number, number[], Array<[number, number]>];

export type ReceiverReply =
  | { type: 'ready'; requestId: number; port: number }
  | { type: 'collected'; requestId: number; events: CollectedEvent[]; badSignatures: number; malformed: number }
  | { type: 'counted'; requestId: number; distinct: number; receipts: number }
  | { type: 'forgotten'; requestId: number };

/** The benchmark's events carry their scheduled send time in `data.scheduledAt` (ms since the epoch). */
export interface BenchEventData {
  scheduledAt: number;
  seq: number;
}
