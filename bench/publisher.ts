/**
 * Open-loop publisher: event i of a phase is due at start + i / rate, whatever the system under test is doing.
 * Each event carries its due time in data.scheduledAt, so latency measured at the receiver includes any delay
 * in publishing itself (coordinated omission is avoided: a late publish is still measured from its due time).
 */
import type Redis from 'ioredis';
import type { BenchEventData } from './receiver-protocol';

export interface PhaseSpec {
  /** Event id prefix of the phase (unique per run, system and phase). */
  prefix: string;
  rate: number;
  durationMs: number;
}

export interface PublishResult {
  ids: string[];
  startedAt: number;
  endedAt: number;
  /** Largest delay between an event's due time and its PUBLISH, in ms. */
  maxPublishLagMs: number;
}

export const BENCH_EVENT_TYPE = 'NEW_MESSAGE_FROM_VISITOR';

export function benchEnvelope(id: string, accountId: string, scheduledAt: number, seq: number): string {
  const data: BenchEventData = { scheduledAt, seq };
  return JSON.stringify({
    id,
    type: BENCH_EVENT_TYPE,
    accountId,
    occurredAt: new Date(scheduledAt).toISOString(),
    data: { ...data, text: 'Hello, is anyone there? I have a question about my order.' },
  });
}

export async function publishPhase(redis: Redis, channel: string, accountId: string, spec: PhaseSpec): Promise<PublishResult> {
  const total = Math.max(1, Math.round((spec.rate * spec.durationMs) / 1000));
  const intervalMs = 1000 / spec.rate;
  const startedAt = Date.now() + 20;
  const ids: string[] = [];
  let maxPublishLagMs = 0;
  let next = 0;
  while (next < total) {
    const now = Date.now();
    const batch = redis.pipeline();
    let queued = 0;
    while (next < total && startedAt + next * intervalMs <= now) {
      const scheduledAt = Math.round(startedAt + next * intervalMs);
      const id = `${spec.prefix}-${next}`;
      ids.push(id);
      batch.publish(channel, benchEnvelope(id, accountId, scheduledAt, next));
      maxPublishLagMs = Math.max(maxPublishLagMs, now - scheduledAt);
      next += 1;
      queued += 1;
    }
    if (queued > 0) await batch.exec();
    if (next < total) {
      const wait = startedAt + next * intervalMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 50)));
    }
  }
  return { ids, startedAt, endedAt: Date.now(), maxPublishLagMs };
}
