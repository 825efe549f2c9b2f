/**
 * The stream reader's acknowledging and hand-off parts without Redis: the commands connection is a stub that records
 * what it is asked and answers as told.
 */
import type { Redis } from 'ioredis';
import type { EventIntake, IntakeOutcome } from '../../src/events/event-intake';
import { createInHandLimiter } from '../../src/events/in-hand-limiter';
import { AckQueue } from '../../src/events/stream/acks';
import { EntryHandoff } from '../../src/events/stream/handoff';
import { createStreamState, ErrorLog } from '../../src/events/stream/state';
import { createLogger } from '../../src/logger';

const logger = createLogger('test', 'silent');

function stubCommands(answer: (args: unknown[]) => Promise<unknown>) {
  const calls: unknown[][] = [];
  const commands = {
    call: (...args: unknown[]) => {
      calls.push(args);
      return answer(args);
    },
  } as unknown as Redis;
  return { commands, calls };
}

function parts(answer: (args: unknown[]) => Promise<unknown>) {
  const { commands, calls } = stubCommands(answer);
  const state = createStreamState({ stream: 's', group: 'g', consumer: 'c' });
  const errors = new ErrorLog(logger, state.context);
  const acks = new AckQueue(commands, state, errors, logger);
  return { calls, state, errors, acks };
}

const acked = (args: unknown[]) => Promise.resolve(args.length - 3);

describe('acknowledging stream entries', () => {
  it('flushes the ids queued in one turn together, at most 500 per XACK', async () => {
    const { calls, state, acks } = parts(acked);
    for (let i = 1; i <= 1_200; i += 1) acks.acknowledge(`${i}-0`);
    expect(acks.waiting).toBe(1_200);
    await acks.drain();

    expect(calls.map((args) => args.length - 3)).toEqual([500, 500, 200]);
    expect(calls[0].slice(0, 4)).toEqual(['XACK', 's', 'g', '1-0']);
    expect(state.counts.acked).toBe(1_200);
    expect(acks.waiting).toBe(0);
  });

  it('keeps the ids of a failed XACK for the next flush, and notes the error', async () => {
    let down = true;
    const { calls, state, errors, acks } = parts((args) => (down ? Promise.reject(new Error('connection lost\nstack')) : acked(args)));
    acks.acknowledge('1-0');
    acks.acknowledge('2-0');
    await acks.drain();
    expect(acks.waiting).toBe(2);
    expect(errors.lastError).toBe('acknowledging stream entries: connection lost');

    down = false;
    await acks.flush();
    expect(acks.waiting).toBe(0);
    expect(state.counts.acked).toBe(2);
    expect(calls.at(-1)).toEqual(['XACK', 's', 'g', '1-0', '2-0']);
  });

  it('drops the ids when the group is gone: its pending list went with it', async () => {
    const { errors, acks } = parts(() => Promise.reject(new Error('NOGROUP No such key or consumer group')));
    acks.acknowledge('1-0');
    await acks.drain();
    expect(acks.waiting).toBe(0);
    expect(errors.lastError).toBeNull();
  });
});

describe('handing stream entries to the intake', () => {
  function handoff(outcome: IntakeOutcome | Error) {
    const world = parts(acked);
    const limiter = createInHandLimiter(10);
    const answer = (): Promise<IntakeOutcome> => (outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome));
    const rejected = (): Promise<'rejected' | 'lost'> =>
      outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome === 'lost' ? 'lost' : 'rejected');
    const intake = { handle: jest.fn(answer), reject: jest.fn(rejected) } satisfies Pick<EventIntake, 'handle' | 'reject'>;
    return { ...world, limiter, intake, handoff: new EntryHandoff(world.state, intake, limiter, world.acks, logger) };
  }

  it('acknowledges a stored entry and frees its slot', async () => {
    const { calls, state, limiter, intake, handoff: entries } = handoff('dispatched');
    limiter.tryAcquire(1);
    entries.take('1-0', ['event', '{"id":"e"}']);
    expect(state.inHand.has('1-0')).toBe(true);
    await entries.settled();
    await new Promise((resolve) => setImmediate(resolve));

    // With the entry it came in: its place in order for lanes.
    expect(intake.handle).toHaveBeenCalledWith('{"id":"e"}', 's', { streamEntryId: '1-0' });
    expect(state.inHand.size).toBe(0);
    expect(limiter.inUse()).toBe(0);
    expect(calls).toEqual([['XACK', 's', 'g', '1-0']]);
  });

  it('keeps an entry without an event field as a rejection, and acknowledges it', async () => {
    const { calls, intake, limiter, handoff: entries } = handoff('rejected');
    limiter.tryAcquire(1);
    entries.take('2-0', ['data', 'x']);
    await entries.settled();
    await new Promise((resolve) => setImmediate(resolve));

    expect(intake.reject).toHaveBeenCalledWith('{"data":"x"}', expect.stringContaining('has no "event" field'), 's');
    expect(calls).toEqual([['XACK', 's', 'g', '2-0']]);
  });

  it('leaves an entry the intake lost, or failed on, pending for a later claim', async () => {
    for (const outcome of ['lost', new Error('postgres down')] as const) {
      const { calls, state, limiter, handoff: entries } = handoff(outcome);
      limiter.tryAcquire(1);
      entries.take('3-0', ['event', '{}']);
      await entries.settled();
      await new Promise((resolve) => setImmediate(resolve));

      expect(calls).toEqual([]);
      expect(state.inHand.size).toBe(0);
      expect(limiter.inUse()).toBe(0);
    }
  });

  it('rejects an over-delivered entry with its delivery count in the reason', async () => {
    const { calls, state, intake, limiter, handoff: entries } = handoff('rejected');
    limiter.tryAcquire(1);
    entries.rejectOverDelivered('4-0', ['event', '{"id":"e"}'], 6, 5);
    await entries.settled();
    await new Promise((resolve) => setImmediate(resolve));

    expect(intake.reject).toHaveBeenCalledWith('{"id":"e"}', expect.stringContaining('delivered 6 times'), 's');
    expect(state.counts.rejectedAfterMaxDeliveries).toBe(1);
    expect(calls).toEqual([['XACK', 's', 'g', '4-0']]);
  });
});
