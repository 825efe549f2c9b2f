/**
 * Handing entries to the intake: each one (its in-hand slot already taken) is stored or kept as a rejection, then
 * acknowledged; its slot is released however that ends. An entry the intake lost stays pending for a later claim.
 */
import type { Logger } from '../../logger';
import { errorSummary } from '../../shared/error-summary';
import type { EventIntake, IntakeOutcome } from '../event-intake';
import type { InHandLimiter } from '../in-hand-limiter';
import type { AckQueue } from './acks';
import { describeFields, fieldValue } from './replies';
import type { StreamState } from './state';

export class EntryHandoff {
  /** The intake's work on entries in hand. */
  private readonly work = new Set<Promise<void>>();

  constructor(
    private readonly state: StreamState,
    private readonly intake: Pick<EventIntake, 'handle' | 'reject'>,
    private readonly limiter: InHandLimiter,
    private readonly acks: AckQueue,
    private readonly logger: Logger,
  ) {}

  /** Hands one entry to the intake; acknowledges it once stored or rejected. */
  take(id: string, fields: string[] | null): void {
    const { context, counts } = this.state;
    const key = context.stream;
    this.track(
      id,
      async () => {
        if (fields === null) {
          // Deleted from the stream while pending (Redis 6.2 reports it this way): nothing to store, clear it.
          counts.deletedWhilePending += 1;
          this.logger.error({ ...context, entryId: id }, 'stream entry deleted before it was stored (trimmed or XDEL): its event is lost');
          return 'rejected';
        }
        const event = fieldValue(fields, 'event');
        return event === undefined
          ? this.intake.reject(
              describeFields(fields),
              `stream entry ${id} has no "event" field (publish with XADD <stream> * event <json>)`,
              key,
            )
          : this.intake.handle(event, key, { streamEntryId: id });
      },
      'stream entry handler failed; the entry stays pending',
    );
  }

  /** Keeps a claimed entry delivered `times` times (more than the bound) in rejected_messages instead of trying it again. */
  rejectOverDelivered(id: string, fields: string[], times: number, maxDeliveries: number): void {
    this.state.counts.rejectedAfterMaxDeliveries += 1;
    const reason = `stream entry ${id} was delivered ${times} times without being acknowledged (more than WEBHOOKS_STREAM_MAX_DELIVERIES=${maxDeliveries}); the listeners handling it stopped before storing it`;
    this.track(
      id,
      () => this.intake.reject(fieldValue(fields, 'event') ?? describeFields(fields), reason, this.state.context.stream),
      'could not keep an over-delivered entry',
    );
  }

  /** Resolves once the intake has finished every entry in hand. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.work]);
  }

  private track(id: string, handle: () => Promise<IntakeOutcome>, failure: string): void {
    const { context, inHand } = this.state;
    inHand.set(id, { touchedAt: Date.now() });
    const work: Promise<void> = handle()
      .then((outcome) => {
        if (outcome !== 'lost') this.acks.acknowledge(id);
      })
      .catch((error: unknown) => this.logger.error({ ...context, entryId: id, err: errorSummary(error) }, failure))
      .finally(() => {
        inHand.delete(id);
        this.limiter.release();
        this.work.delete(work);
      });
    this.work.add(work);
  }
}
