/**
 * The durable way in: a Redis Stream read in a consumer group. Publishers `XADD <stream> * event <json>`; every
 * listener process is one consumer (a name unique per process) of one group, so listeners share the entries and an
 * entry added while none runs waits in the stream.
 *
 * This module wires the parts, each in its own file: reading (reader.ts), handing entries to the intake (handoff.ts),
 * acknowledging once the intake has stored an entry or kept it as a rejection (acks.ts; the dispatcher's retry and
 * sweep own the rest), claiming entries of listeners that died (claims.ts), and upkeep of the stream (maintenance.ts),
 * run every maintenance tick. An entry the intake could not store before the process stopped stays pending and is
 * claimed by another listener. Errors are logged once per distinct message and retried; they never stop the process.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { closeRedisClient, createRedisClient, type RedisClientStatus, type RedisTarget } from '../../redis/clients';
import type { EventIntake } from '../event-intake';
import type { InHandLimiter } from '../in-hand-limiter';
import { AckQueue } from './acks';
import { Claims } from './claims';
import { EntryHandoff } from './handoff';
import { StreamMaintenance } from './maintenance';
import { GroupReader } from './reader';
import { createStreamState, ErrorLog, isNoGroup, sleep, StopSignal } from './state';

export type StreamSettings = NonNullable<Config['redisStream']>;

export interface StreamReaderStatus {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  /** The reading connection as ioredis reports it. */
  readonly connection: RedisClientStatus;
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
  /** Where Redis is, in the configured mode. */
  redis: RedisTarget;
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
  const consumer = options.consumer ?? defaultConsumerName();
  const maxDelayMs = options.maxReconnectDelayMs ?? 2_000;
  const tickMs = Math.min(5_000, Math.max(200, Math.floor(settings.claimIdleMs / 4)));

  const connect = (role: string) =>
    createRedisClient(options.redis, {
      // RESP2: the reply shapes of XREADGROUP, XAUTOCLAIM, XPENDING and XINFO parsed in replies.ts are the documented ones.
      protocol: 2,
      maxRetriesPerRequest: null,
      connectionName: `webhooks-stream-${role}`,
      maxReconnectDelayMs: maxDelayMs,
    });
  /** XREADGROUP BLOCK only, so that a block never delays an acknowledgement. */
  const reader = connect('reader');
  /** Everything else: XACK, XAUTOCLAIM, XPENDING, XCLAIM, XTRIM, XINFO, CLIENT UNBLOCK. */
  const commands = connect('commands');

  const state = createStreamState({ stream: settings.key, group: settings.group, consumer });
  const stop = new StopSignal();
  const errors = new ErrorLog(logger, state.context);
  const onConnectionError = (error: Error) => errors.note('redis connection', error);
  reader.on('error', onConnectionError);
  commands.on('error', onConnectionError);

  const acks = new AckQueue(commands, state, errors, logger);
  const handoff = new EntryHandoff(state, intake, limiter, acks, logger);
  const claims = new Claims(commands, state, settings, limiter, handoff, logger);
  const maintenance = new StreamMaintenance(commands, state, settings, logger);
  const groupReader = new GroupReader({
    reader,
    commands,
    state,
    settings,
    limiter,
    handoff,
    stop,
    errors,
    logger,
    maxDelayMs,
    onGroupReady: () => claims.restart(),
  });

  let maintaining: Promise<void> | null = null;
  let closed = false;
  const maintain = () => {
    if (maintaining || stop.stopping || !groupReader.ready) return;
    maintaining = (async () => {
      try {
        if (acks.waiting > 0 && !acks.isFlushing) await acks.flush();
        await claims.touchInHand();
        await claims.claimIdle();
        await maintenance.refreshAndTrim();
        await maintenance.removeDeadConsumers();
      } catch (error) {
        if (isNoGroup(error)) return; // the read loop re-creates the group
        errors.note('stream maintenance', error);
      }
    })().finally(() => {
      maintaining = null;
    });
  };
  const timer = setInterval(maintain, tickMs);
  groupReader.start();

  return {
    status: () => ({
      ...state.context,
      connection: reader.status,
      ready: groupReader.ready,
      lastError: groupReader.ready ? null : errors.lastError,
      inHand: state.inHand.size,
      reserved: state.reserved,
      ...state.counts,
      ...state.gauges,
    }),

    whenReady: (timeoutMs = 10_000) => groupReader.whenReady(timeoutMs),

    async stopReading() {
      if (stop.stopping) return;
      stop.stop();
      clearInterval(timer);
      await groupReader.stopped();
      await maintaining;
    },

    async close() {
      if (closed) return;
      closed = true;
      await this.stopReading();
      await handoff.settled();
      // Redis may be down: the unacknowledged entries then stay pending and another listener claims them.
      await Promise.race([acks.drain(), sleep(3_000)]);
      if (acks.waiting > 0)
        logger.warn(
          { ...state.context, entries: acks.waiting },
          'stopping with unacknowledged stored entries; another listener will claim them',
        );
      await Promise.all([reader, commands].map(closeRedisClient));
    },
  };
}
