/**
 * Reading: the group is created when missing (at id 0, MKSTREAM; BUSYGROUP from a concurrent creator is fine), at
 * start and again whenever Redis answers NOGROUP. `XREADGROUP ... COUNT n BLOCK ms` runs on a connection of its own,
 * where n is the room left under the listener's in-hand bound (reserved before the read, so Pub/Sub cannot take it
 * meanwhile): it reads only when it has room.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import { nodeOf, sameServerIn, type RedisClient } from '../../redis/clients';
import { backoffDelay } from '../../shared/backoff';
import { errorSummary } from '../../shared/error-summary';
import type { InHandLimiter } from '../in-hand-limiter';
import type { EntryHandoff } from './handoff';
import { entriesOfReadReply, type StreamEntry } from './replies';
import { isNoGroup, sleep, STOPPED, type ErrorLog, type StopSignal, type StreamState } from './state';

export interface ReadSettings {
  readonly batchSize: number;
  readonly blockMs: number;
}

export interface GroupReaderOptions {
  /** XREADGROUP BLOCK only, so that a block never delays an acknowledgement. */
  readonly reader: RedisClient;
  /** For CLIENT UNBLOCK at stop. */
  readonly commands: RedisClient;
  readonly state: StreamState;
  readonly settings: ReadSettings;
  readonly limiter: InHandLimiter;
  readonly handoff: EntryHandoff;
  readonly stop: StopSignal;
  readonly errors: ErrorLog;
  readonly logger: Logger;
  /** Longest wait between tries after a failure. */
  readonly maxDelayMs: number;
  /** Called when the group is confirmed on a (new) connection. */
  readonly onGroupReady: () => void;
}

export class GroupReader {
  private groupReady = false;
  private clientId: number | null = null;
  /** The reader's connection to the server holding the stream (in a Cluster, one of its node connections). */
  private readerNode: Redis | null = null;
  /** An XREADGROUP is in flight. */
  private reading = false;
  private readonly readyWaiters = new Set<() => void>();
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: GroupReaderOptions) {
    options.reader.on('close', () => {
      if (this.groupReady && !options.stop.stopping)
        options.logger.warn(options.state.context, 'stream reader lost its redis connection; reconnecting');
      this.groupReady = false;
      this.clientId = null;
      this.readerNode = null;
    });
  }

  /** True once the group is confirmed on the current connection. */
  get ready(): boolean {
    return this.groupReady;
  }

  start(): void {
    const { logger, state } = this.options;
    this.loop = this.readLoop().catch((error: unknown) =>
      logger.error({ ...state.context, err: errorSummary(error) }, 'stream read loop ended unexpectedly'),
    );
  }

  /** Resolves once the group is confirmed and reading has begun (now, or after the next reconnect). */
  whenReady(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.groupReady) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        this.readyWaiters.delete(done);
        const why = this.options.errors.lastError ?? this.options.reader.status;
        reject(new Error(`stream reader not ready on ${this.options.state.context.stream} within ${timeoutMs} ms (${why})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        resolve();
      };
      this.readyWaiters.add(done);
    });
  }

  /** After the stop signal: ends the blocking read at once and waits for the loop to finish. */
  async stopped(): Promise<void> {
    const { reader, commands, settings } = this.options;
    // CLIENT UNBLOCK makes the read return as if it timed out; retried while the read is not yet blocked.
    const deadline = Date.now() + settings.blockMs + 1_000;
    let settled = false;
    void this.loop.then(() => {
      settled = true;
    });
    // In a Cluster the UNBLOCK goes to the node the reader blocks on (asking Redis nothing: it may be unreachable).
    const node = this.readerNode ? sameServerIn(commands, this.readerNode) : null;
    while (!settled && this.reading && this.clientId !== null && node?.status === 'ready' && Date.now() < deadline) {
      await node.call('CLIENT', 'UNBLOCK', this.clientId).catch(() => undefined);
      await Promise.race([this.loop, sleep(50)]);
    }
    if (!settled && reader.status !== 'ready') reader.disconnect();
    await this.loop;
  }

  private async ensureGroup(): Promise<void> {
    const { reader, state, logger } = this.options;
    const { stream: key, group } = state.context;
    try {
      await reader.call('XGROUP', 'CREATE', key, group, '0', 'MKSTREAM');
      logger.info(state.context, 'created the stream consumer group');
    } catch (error) {
      if (!/BUSYGROUP/.test(errorSummary(error))) throw error;
    }
    // CLIENT ID of the connection that blocks in XREADGROUP: in a Cluster, the reader's one to the stream's node.
    this.readerNode = await nodeOf(reader, key);
    this.clientId = this.readerNode ? Number(await this.readerNode.call('CLIENT', 'ID')) : null;
    this.options.onGroupReady();
    this.groupReady = true;
    this.options.errors.clear();
    logger.info(state.context, 'stream reader ready');
    this.readyWaiters.forEach((notify) => notify());
  }

  private async readLoop(): Promise<void> {
    const { reader, state, settings, limiter, handoff, stop, errors, logger } = this.options;
    const { stream: key, group, consumer } = state.context;
    const retryBackoff = { initialMs: 200, maxMs: this.options.maxDelayMs };
    let failures = 0;
    while (!stop.stopping) {
      if (!this.groupReady) {
        try {
          if ((await stop.untilStopped(this.ensureGroup())) === STOPPED) break;
          failures = 0;
        } catch (error) {
          if (stop.stopping) break;
          errors.note('creating the stream consumer group', error);
          failures += 1;
          await stop.pause(backoffDelay(retryBackoff, failures));
        }
        continue;
      }
      // At the bound: wait for room (the intake finishing entries), or for stop (the intake may be stuck on Postgres).
      await Promise.race([limiter.whenRoom(), stop.stopped]);
      if (stop.stopping) break;
      const room = limiter.tryAcquire(settings.batchSize);
      if (room === 0) continue;
      let entries: StreamEntry[];
      this.reading = true;
      state.reserved += room;
      try {
        const reply = await stop.untilStopped(
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
        if (stop.stopping) break;
        if (isNoGroup(error)) {
          logger.warn(state.context, 'the stream consumer group is missing (a Redis restart without persistence?); creating it again');
          this.groupReady = false;
          continue;
        }
        errors.note('reading the stream', error);
        failures += 1;
        await stop.pause(backoffDelay(retryBackoff, failures));
        continue;
      } finally {
        this.reading = false;
        state.reserved -= room;
      }
      if (entries.length < room) limiter.release(room - entries.length);
      state.counts.read += entries.length;
      for (const [id, fields] of entries) handoff.take(id, fields);
    }
  }
}
