/**
 * The durable way in: a Redis Stream read in a consumer group. Publishers `XADD <stream> * event <json>`; every
 * listener process is one consumer (a name unique per process) of one group, so listeners share the entries and an
 * entry added while none runs waits in the stream.
 *
 * - The group is created when missing (at id 0, MKSTREAM; BUSYGROUP from a concurrent creator is fine), at start and
 *   again whenever Redis answers NOGROUP (a Redis restart without persistence lost it).
 * - `XREADGROUP ... COUNT n BLOCK ms` on a connection of its own, where n is the room left under the listener's
 *   in-hand bound (reserved before the read, so Pub/Sub cannot take it meanwhile): it reads only when it has room.
 * - An entry is acknowledged (`XACK`, batched) once the intake has stored it (or kept it as a rejection); the
 *   dispatcher's retry and sweep own the rest. An entry the intake could not store before the process stopped stays
 *   pending and is claimed by another listener.
 * - Entries in hand are touched (`XCLAIM ... JUSTID`, which leaves the delivery count alone) so that only entries of
 *   a listener that died go idle; `XAUTOCLAIM` takes entries idle longer than `claimIdleMs`. A claimed entry already
 *   delivered more than `maxDeliveries` times (its XPENDING delivery count) is kept in rejected_messages and
 *   acknowledged instead of being tried again; so is an entry without an `event` field.
 * - Acknowledged history is trimmed (`XTRIM MINID ~` below the oldest entry that any group of the stream has not
 *   acknowledged, or `MAXLEN ~`), consumers of dead processes with nothing pending are removed, and the gauges (lag,
 *   pending, length) are refreshed, every maintenance tick.
 * Errors are logged once per distinct message and retried; they never stop the process.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis, type RedisStatus } from 'ioredis';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { EventIntake, IntakeOutcome } from './event-intake';
import type { InHandLimiter } from './in-hand-limiter';
import {
  compareIds,
  describeFields,
  entriesOfReadReply,
  fieldValue,
  nextId,
  parseInfoGroups,
  parseInfoRows,
  type StreamEntry,
} from './stream-replies';

export type StreamSettings = NonNullable<Config['redisStream']>;

const STOPPED: unique symbol = Symbol('stopped');
/** XACKs per command. */
const ACK_BATCH = 500;
/** A consumer of the group idle this long with nothing pending belongs to a process that is gone. */
const DEAD_CONSUMER_MIN_IDLE_MS = 10 * 60_000;
const DEAD_CONSUMER_CHECK_EVERY_MS = 60_000;

export interface StreamReaderStatus {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  /** The reading connection as ioredis reports it. */
  readonly connection: RedisStatus;
  /** True once the group is confirmed on the current connection and entries are being read. */
  readonly ready: boolean;
  readonly lastError: string | null;
  /** Entries of this reader in the intake now. */
  readonly inHand: number;
  /** In-hand slots reserved for a read or claim in progress (a blocked XREADGROUP holds its COUNT). */
  readonly reserved: number;
  /** Entries read as new (`>`), since start. */
  readonly read: number;
  /** Entries claimed from other (dead) consumers, since start. */
  readonly claimed: number;
  readonly acked: number;
  /** Claimed entries rejected for having been delivered more than maxDeliveries times. */
  readonly rejectedAfterMaxDeliveries: number;
  /** Entries removed by trimming, since start. */
  readonly trimmed: number;
  /** Entries that were deleted from the stream while still pending (trimmed or XDEL'd before anyone stored them). */
  readonly deletedWhilePending: number;
  /** Gauges as of `refreshedAt` (null until the first refresh): entries not yet read by the group (XINFO GROUPS lag). */
  readonly lag: number | null;
  /** Entries read by the group and not acknowledged yet, by any of its consumers. */
  readonly pending: number | null;
  readonly length: number | null;
  readonly refreshedAt: string | null;
}

export interface StreamReaderOptions {
  redisUrl: string;
  settings: StreamSettings;
  intake: Pick<EventIntake, 'handle' | 'reject'>;
  limiter: InHandLimiter;
  logger: Logger;
  /** Default: host name, pid and a random suffix (unique per process, and per reader within one). */
  consumer?: string;
  /** Longest wait between reconnection tries (default 2 s). */
  maxReconnectDelayMs?: number;
}

export interface StreamReader {
  status(): StreamReaderStatus;
  /** Resolves once the group is confirmed and reading has begun (now, or after the next reconnect). */
  whenReady(timeoutMs?: number): Promise<void>;
  /** Stops reading and claiming; the entries in hand are finished by the intake. */
  stopReading(): Promise<void>;
  /** After the intake stopped: acknowledges what it stored and closes the connections. */
  close(): Promise<void>;
}

export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function startStreamReader(options: StreamReaderOptions): StreamReader {
  const { settings, intake, limiter, logger } = options;
  const { key, group } = settings;
  const consumer = options.consumer ?? defaultConsumerName();
  const maxDelay = options.maxReconnectDelayMs ?? 2_000;
  const tickMs = Math.min(5_000, Math.max(200, Math.floor(settings.claimIdleMs / 4)));
  const touchAfterMs = Math.floor(settings.claimIdleMs / 3);
  const context = { stream: key, group, consumer };

  const connect = (role: string) =>
    new Redis(options.redisUrl, {
      // RESP2: the reply shapes of XREADGROUP, XAUTOCLAIM, XPENDING and XINFO parsed below are the documented ones.
      protocol: 2,
      enableReadyCheck: true,
      maxRetriesPerRequest: null,
      connectionName: `webhooks-stream-${role}`,
      retryStrategy: (times) => Math.min(times * 200, maxDelay),
    });
  /** XREADGROUP BLOCK only, so that a block never delays an acknowledgement. */
  const reader = connect('reader');
  /** Everything else: XACK, XAUTOCLAIM, XPENDING, XCLAIM, XTRIM, XINFO, CLIENT UNBLOCK. */
  const commands = connect('commands');

  let groupReady = false;
  let readerClientId: number | null = null;
  let reading = false;
  let stopping = false;
  let closed = false;
  let lastError: string | null = null;
  let lastLoggedError: string | null = null;
  let claimCursor = '0-0';
  let reserved = 0;
  let lastDeadConsumerCheck = 0;
  const readyWaiters = new Set<() => void>();
  let signalStop: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => {
    signalStop = resolve;
  });
  /** Entries in the intake now, with when they were last touched. */
  const inHand = new Map<string, { touchedAt: number }>();
  const entryWork = new Set<Promise<void>>();
  let ackQueue: string[] = [];
  let ackFlush: Promise<void> | null = null;
  const counts = { read: 0, claimed: 0, acked: 0, rejectedAfterMaxDeliveries: 0, trimmed: 0, deletedWhilePending: 0 };
  const gauges: { lag: number | null; pending: number | null; length: number | null; refreshedAt: string | null } = {
    lag: null,
    pending: null,
    length: null,
    refreshedAt: null,
  };

  const noteError = (what: string, error: unknown) => {
    const message = errorMessage(error);
    lastError = `${what}: ${message}`;
    if (lastError !== lastLoggedError) {
      lastLoggedError = lastError;
      logger.error({ ...context, err: message }, `${what} failed; the stream reader stays up and retries`);
    }
  };
  const onConnectionError = (error: Error) => noteError('redis connection', error);
  reader.on('error', onConnectionError);
  commands.on('error', onConnectionError);
  reader.on('close', () => {
    if (groupReady && !stopping) logger.warn(context, 'stream reader lost its redis connection; reconnecting');
    groupReady = false;
    readerClientId = null;
  });

  // ---- reading ------------------------------------------------------------------------------------------------

  /**
   * A command raced against stop: while Redis is unreachable ioredis queues commands until it reconnects, which may be
   * never, so a stop must not wait for them. An abandoned command's later failure is of no interest.
   */
  const untilStopped = <T>(command: Promise<T>): Promise<T | typeof STOPPED> => {
    command.catch(() => undefined);
    return Promise.race([command, stopSignal.then((): typeof STOPPED => STOPPED)]);
  };

  async function ensureGroup(): Promise<void> {
    try {
      await reader.call('XGROUP', 'CREATE', key, group, '0', 'MKSTREAM');
      logger.info(context, 'created the stream consumer group');
    } catch (error) {
      if (!/BUSYGROUP/.test(errorMessage(error))) throw error;
    }
    readerClientId = Number(await reader.call('CLIENT', 'ID'));
    claimCursor = '0-0'; // a re-created group has a pending list of its own
    groupReady = true;
    lastError = null;
    lastLoggedError = null;
    logger.info(context, 'stream reader ready');
    readyWaiters.forEach((notify) => notify());
  }

  async function readLoop(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      if (!groupReady) {
        try {
          if ((await untilStopped(ensureGroup())) === STOPPED) break;
          failures = 0;
        } catch (error) {
          if (stopping) break;
          noteError('creating the stream consumer group', error);
          failures += 1;
          await Promise.race([sleep(Math.min(maxDelay, 100 * 2 ** failures)), stopSignal]);
        }
        continue;
      }
      // At the bound: wait for room (the intake finishing entries), or for stop (the intake may be stuck on Postgres).
      await Promise.race([limiter.whenRoom(), stopSignal]);
      if (stopping) break;
      const room = limiter.tryAcquire(settings.batchSize);
      if (room === 0) continue;
      let entries: StreamEntry[];
      reading = true;
      reserved += room;
      try {
        const reply = await untilStopped(
          reader.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', room, 'BLOCK', settings.blockMs, 'STREAMS', key, '>'),
        );
        if (reply === STOPPED) {
          limiter.release(room);
          break;
        }
        entries = entriesOfReadReply(reply);
        failures = 0;
      } catch (error) {
        limiter.release(room);
        if (stopping) break;
        if (/NOGROUP/.test(errorMessage(error))) {
          logger.warn(context, 'the stream consumer group is missing (a Redis restart without persistence?); creating it again');
          groupReady = false;
          continue;
        }
        noteError('reading the stream', error);
        failures += 1;
        await Promise.race([sleep(Math.min(maxDelay, 100 * 2 ** failures)), stopSignal]);
        continue;
      } finally {
        reading = false;
        reserved -= room;
      }
      if (entries.length < room) limiter.release(room - entries.length);
      counts.read += entries.length;
      for (const [id, fields] of entries) take(id, fields);
    }
  }

  /** Hands one entry (its slot already taken) to the intake; acknowledges it once stored or rejected. */
  function take(id: string, fields: string[] | null): void {
    inHand.set(id, { touchedAt: Date.now() });
    const work = (async () => {
      let outcome: IntakeOutcome;
      if (fields === null) {
        // Deleted from the stream while pending (Redis 6.2 reports it this way): nothing to store, clear it.
        counts.deletedWhilePending += 1;
        logger.error({ ...context, entryId: id }, 'stream entry deleted before it was stored (trimmed or XDEL): its event is lost');
        outcome = 'rejected';
      } else {
        const event = fieldValue(fields, 'event');
        outcome =
          event === undefined
            ? await intake.reject(
                describeFields(fields),
                `stream entry ${id} has no "event" field (publish with XADD <stream> * event <json>)`,
                key,
              )
            : await intake.handle(event, key);
      }
      if (outcome !== 'lost') acknowledge(id);
    })()
      .catch((error: unknown) =>
        logger.error({ ...context, entryId: id, err: errorMessage(error) }, 'stream entry handler failed; the entry stays pending'),
      )
      .finally(() => {
        inHand.delete(id);
        limiter.release();
        entryWork.delete(work);
      });
    entryWork.add(work);
  }

  // ---- acknowledging --------------------------------------------------------------------------------------------

  function acknowledge(id: string): void {
    ackQueue.push(id);
    if (!ackFlush) ackFlush = new Promise<void>((resolve) => setImmediate(resolve)).then(flushAcks);
  }

  async function flushAcks(): Promise<void> {
    try {
      while (ackQueue.length > 0) {
        const ids = ackQueue.slice(0, ACK_BATCH);
        try {
          counts.acked += Number(await commands.call('XACK', key, group, ...ids));
        } catch (error) {
          if (/NOGROUP/.test(errorMessage(error))) {
            // The group is gone with its pending list (Redis restarted without persistence): nothing to acknowledge.
            logger.warn({ ...context, entries: ids.length }, 'acknowledgements dropped: the consumer group no longer exists');
          } else {
            noteError('acknowledging stream entries', error);
            return; // kept in the queue; the next maintenance tick tries again
          }
        }
        ackQueue = ackQueue.slice(ids.length);
      }
    } finally {
      ackFlush = null;
    }
  }

  // ---- maintenance: touch, claim, trim, gauges ------------------------------------------------------------------

  /** Resets the idle time of entries still in hand, so that no other listener claims them while this one works. */
  async function touchInHand(): Promise<void> {
    const now = Date.now();
    const due = [...inHand].filter(([, entry]) => now - entry.touchedAt >= touchAfterMs).map(([id]) => id);
    for (let i = 0; i < due.length; i += ACK_BATCH) {
      const ids = due.slice(i, i + ACK_BATCH);
      await commands.call('XCLAIM', key, group, consumer, 0, ...ids, 'JUSTID');
      ids.forEach((id) => {
        const entry = inHand.get(id);
        if (entry) entry.touchedAt = now;
      });
    }
  }

  async function claimIdle(): Promise<void> {
    const room = limiter.tryAcquire(settings.batchSize);
    if (room === 0) return;
    let claimed: StreamEntry[];
    let deleted: string[];
    reserved += room;
    try {
      const reply = (await commands.call('XAUTOCLAIM', key, group, consumer, settings.claimIdleMs, claimCursor, 'COUNT', room)) as [
        string,
        StreamEntry[],
        string[]?,
      ];
      claimCursor = reply[0];
      claimed = reply[1] ?? [];
      deleted = reply[2] ?? [];
    } catch (error) {
      limiter.release(room);
      throw error;
    } finally {
      reserved -= room;
    }
    if (claimed.length < room) limiter.release(room - claimed.length);
    if (deleted.length > 0) {
      counts.deletedWhilePending += deleted.length;
      logger.error(
        { ...context, entries: deleted.length, firstEntryId: deleted[0] },
        'pending stream entries were deleted before they were stored (trimmed or XDEL): their events are lost',
      );
    }
    if (claimed.length === 0) return;
    counts.claimed += claimed.length;

    const pipeline = commands.pipeline();
    claimed.forEach(([id]) => pipeline.call('XPENDING', key, group, id, id, 1, consumer));
    const answers = (await pipeline.exec()) ?? [];
    const deliveries = new Map<string, number>();
    answers.forEach(([error, rows]) => {
      const row = !error && Array.isArray(rows) && Array.isArray(rows[0]) ? (rows[0] as [string, string, number, number]) : null;
      if (row) deliveries.set(String(row[0]), Number(row[3]));
    });
    logger.info(
      { ...context, entries: claimed.length, firstEntryId: claimed[0][0] },
      'claimed stream entries left pending by another consumer',
    );

    for (const [id, fields] of claimed) {
      if (inHand.has(id)) {
        limiter.release();
        continue;
      }
      const times = deliveries.get(id) ?? 0;
      if (fields !== null && times > settings.maxDeliveries) {
        counts.rejectedAfterMaxDeliveries += 1;
        inHand.set(id, { touchedAt: Date.now() });
        const reason = `stream entry ${id} was delivered ${times} times without being acknowledged (more than WEBHOOKS_STREAM_MAX_DELIVERIES=${settings.maxDeliveries}); the listeners handling it stopped before storing it`;
        const work = intake
          .reject(fieldValue(fields, 'event') ?? describeFields(fields), reason, key)
          .then((outcome) => {
            if (outcome !== 'lost') acknowledge(id);
          })
          .catch((error: unknown) =>
            logger.error({ ...context, entryId: id, err: errorMessage(error) }, 'could not keep an over-delivered entry'),
          )
          .finally(() => {
            inHand.delete(id);
            limiter.release();
            entryWork.delete(work);
          });
        entryWork.add(work);
        continue;
      }
      take(id, fields);
    }
  }

  async function refreshAndTrim(): Promise<void> {
    const groups = parseInfoGroups(await commands.call('XINFO', 'GROUPS', key));
    const ours = groups.find((g) => g.name === group);
    gauges.lag = ours?.lag ?? null;
    gauges.pending = ours?.pending ?? null;
    gauges.length = Number(await commands.call('XLEN', key));
    gauges.refreshedAt = new Date().toISOString();

    const trim = settings.trim;
    if (trim.strategy === 'none' || gauges.length === 0) return;
    let removed: number;
    if (trim.strategy === 'maxlen') {
      removed = Number(await commands.call('XTRIM', key, 'MAXLEN', '~', trim.maxLen));
    } else {
      // Below the oldest entry that some group has not acknowledged: its oldest pending entry, or else the first
      // entry after the last one it read. Read after XINFO, so entries delivered meanwhile are above either bound.
      let minId: string | null = null;
      for (const g of groups) {
        let bound = nextId(g.lastDeliveredId);
        if (g.pending > 0) {
          const summary = (await commands.call('XPENDING', key, g.name)) as [number, string | null, string | null, unknown];
          if (summary[1]) bound = summary[1];
        }
        if (minId === null || compareIds(bound, minId) < 0) minId = bound;
      }
      if (minId === null) return;
      removed = Number(await commands.call('XTRIM', key, 'MINID', '~', minId));
    }
    counts.trimmed += removed;
    if (removed > 0) logger.debug({ ...context, removed }, 'trimmed acknowledged stream history');
  }

  async function removeDeadConsumers(): Promise<void> {
    if (Date.now() - lastDeadConsumerCheck < DEAD_CONSUMER_CHECK_EVERY_MS) return;
    lastDeadConsumerCheck = Date.now();
    const consumers = parseInfoRows(await commands.call('XINFO', 'CONSUMERS', key, group));
    const minIdle = Math.max(DEAD_CONSUMER_MIN_IDLE_MS, settings.claimIdleMs * 4);
    for (const row of consumers) {
      if (row.name === consumer || Number(row.pending) !== 0 || Number(row.idle) < minIdle) continue;
      await commands.call('XGROUP', 'DELCONSUMER', key, group, String(row.name));
      logger.info({ ...context, removed: row.name, idleMs: Number(row.idle) }, 'removed a consumer of a listener that is gone');
    }
  }

  let maintaining: Promise<void> | null = null;
  const maintain = () => {
    if (maintaining || stopping || !groupReady) return;
    maintaining = (async () => {
      try {
        if (ackQueue.length > 0 && !ackFlush) await flushAcks();
        await touchInHand();
        await claimIdle();
        await refreshAndTrim();
        await removeDeadConsumers();
      } catch (error) {
        if (/NOGROUP/.test(errorMessage(error))) return; // the read loop re-creates the group
        noteError('stream maintenance', error);
      }
    })().finally(() => {
      maintaining = null;
    });
  };
  const timer = setInterval(maintain, tickMs);

  const loop = readLoop().catch((error: unknown) =>
    logger.error({ ...context, err: errorMessage(error) }, 'stream read loop ended unexpectedly'),
  );

  return {
    status: () => ({
      ...context,
      connection: reader.status,
      ready: groupReady,
      lastError: groupReady ? null : lastError,
      inHand: inHand.size,
      reserved,
      ...counts,
      ...gauges,
    }),

    whenReady: (timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (groupReady) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          readyWaiters.delete(done);
          reject(new Error(`stream reader not ready on ${key} within ${timeoutMs} ms (${lastError ?? reader.status})`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          readyWaiters.delete(done);
          resolve();
        };
        readyWaiters.add(done);
      }),

    async stopReading() {
      if (stopping) return;
      stopping = true;
      signalStop();
      clearInterval(timer);
      // Ends the blocking read at once (it returns as if it timed out); retried while the read is not yet blocked.
      const deadline = Date.now() + settings.blockMs + 1_000;
      let settled = false;
      void loop.then(() => {
        settled = true;
      });
      while (!settled && reading && readerClientId !== null && commands.status === 'ready' && Date.now() < deadline) {
        await commands.call('CLIENT', 'UNBLOCK', readerClientId).catch(() => undefined);
        await Promise.race([loop, sleep(50)]);
      }
      if (!settled && reader.status !== 'ready') reader.disconnect();
      await loop;
      await maintaining;
    },

    async close() {
      if (closed) return;
      closed = true;
      await this.stopReading();
      await Promise.allSettled([...entryWork]);
      // Redis may be down: the unacknowledged entries then stay pending and another listener claims them.
      const flushed = (async () => {
        await ackFlush;
        await flushAcks();
      })();
      await Promise.race([flushed, sleep(3_000)]);
      if (ackQueue.length > 0)
        logger.warn(
          { ...context, entries: ackQueue.length },
          'stopping with unacknowledged stored entries; another listener will claim them',
        );
      await Promise.all(
        [reader, commands].map((connection) =>
          connection.status === 'ready' ? connection.quit().catch(() => connection.disconnect()) : Promise.resolve(connection.disconnect()),
        ),
      );
    },
  };
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 300);
}

/** A pause that never keeps the process alive by itself (shutdown races it against work that finishes sooner). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
