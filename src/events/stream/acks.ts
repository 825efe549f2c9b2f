/**
 * Acknowledging: the ids of stored (or rejected) entries queue up and go out as batched `XACK`s, one flush per turn of
 * the event loop. A failed flush keeps its ids for the next maintenance tick; a missing group drops them (its pending
 * list went with it).
 */
import type { Logger } from '../../logger';
import type { RedisClient } from '../../redis/clients';
import { ACK_BATCH, isNoGroup, type ErrorLog, type StreamState } from './state';

export class AckQueue {
  private queue: string[] = [];
  /** The flush under way, if any. */
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly commands: RedisClient,
    private readonly state: StreamState,
    private readonly errors: ErrorLog,
    private readonly logger: Logger,
  ) {}

  /** Ids waiting for their XACK. */
  get waiting(): number {
    return this.queue.length;
  }

  get isFlushing(): boolean {
    return this.flushing !== null;
  }

  acknowledge(id: string): void {
    this.queue.push(id);
    if (!this.flushing) this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  /** Waits for the flush under way, then flushes what is left. */
  async drain(): Promise<void> {
    await this.flushing;
    await this.flush();
  }

  async flush(): Promise<void> {
    const { stream: key, group } = this.state.context;
    try {
      while (this.queue.length > 0) {
        const ids = this.queue.slice(0, ACK_BATCH);
        try {
          this.state.counts.acked += Number(await this.commands.call('XACK', key, group, ...ids));
        } catch (error) {
          if (isNoGroup(error)) {
            // The group is gone with its pending list (Redis restarted without persistence): nothing to acknowledge.
            this.logger.warn(
              { ...this.state.context, entries: ids.length },
              'acknowledgements dropped: the consumer group no longer exists',
            );
          } else {
            this.errors.note('acknowledging stream entries', error);
            return; // kept in the queue; the next maintenance tick tries again
          }
        }
        this.queue = this.queue.slice(ids.length);
      }
    } finally {
      this.flushing = null;
    }
  }
}
