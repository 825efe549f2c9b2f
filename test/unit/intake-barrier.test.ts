import { createRedisIntakeBarrier, notBefore } from '../../src/lanes/intake-barrier';
import { waitUntil } from '../helpers/wait';

/** A stand-in for XPENDING <stream> <group> - + 1: answers from `pending` as it is when the query runs. */
function fakeRedis(pending: string[], failWith?: Error) {
  const calls: number[] = [];
  let release: (() => void) | null = null;
  const redis = {
    hold: false,
    calls,
    async xpending() {
      calls.push(Date.now());
      if (failWith) throw failWith;
      const answer = [...pending].sort((a, b) => (notBefore(a, b) ? (notBefore(b, a) ? 0 : 1) : -1)).slice(0, 1);
      if (redis.hold) await new Promise<void>((resolve) => (release = resolve));
      return answer.map((id) => [id, 'consumer', 1, 1]);
    },
    release: () => release?.(),
  };
  return redis;
}

describe('notBefore', () => {
  it.each([
    ['5-0', '5-0', true],
    ['5-1', '5-0', true],
    ['5-0', '5-1', false],
    ['10-0', '9-99', true],
    ['9-99', '10-0', false],
    ['18446744073709551615-0', '1-0', true],
    ['not-an-id', '1-0', true],
  ])('%s is not before %s: %s', (a, b, expected) => {
    expect(notBefore(a, b)).toBe(expected);
  });
});

describe('the Redis intake barrier', () => {
  it('is clear when nothing is pending, or only the entry itself and later ones', async () => {
    expect(await createRedisIntakeBarrier({ redis: fakeRedis([]) as never, stream: 's', group: 'g' }).storedBefore('7-0')).toBe(true);
    const barrier = createRedisIntakeBarrier({ redis: fakeRedis(['7-0', '8-0']) as never, stream: 's', group: 'g' });
    expect(await barrier.storedBefore('7-0')).toBe(true);
    expect(await barrier.storedBefore('8-0')).toBe(false);
    expect(await barrier.storedBefore('7-1')).toBe(false);
  });

  it('shares one query among the asks that arrive before it starts', async () => {
    const redis = fakeRedis(['3-0']);
    const barrier = createRedisIntakeBarrier({ redis: redis as never, stream: 's', group: 'g' });
    const answers = await Promise.all(['1-0', '2-0', '3-0', '4-0'].map((id) => barrier.storedBefore(id)));
    expect(answers).toEqual([true, true, true, false]);
    expect(redis.calls).toHaveLength(1);
  });

  it('never answers an ask with a query that started before it', async () => {
    const pending = ['3-0'];
    const redis = fakeRedis(pending);
    redis.hold = true;
    const barrier = createRedisIntakeBarrier({ redis: redis as never, stream: 's', group: 'g', gatherMs: 1 });
    const early = barrier.storedBefore('5-0');
    await waitUntil(() => redis.calls.length === 1, 'the first query running (held)');
    pending.splice(0, 1, '4-0'); // what a later query sees
    redis.hold = false;
    const late = barrier.storedBefore('5-0');
    redis.release();
    expect(await early).toBe(false);
    expect(await late).toBe(false);
    expect(redis.calls).toHaveLength(2);
  });

  it('takes a missing stream or group as nothing pending, and lets other errors through', async () => {
    const missing = fakeRedis([], new Error('NOGROUP No such key s or consumer group g'));
    expect(await createRedisIntakeBarrier({ redis: missing as never, stream: 's', group: 'g' }).storedBefore('1-0')).toBe(true);
    const down = fakeRedis([], new Error('Connection is closed.'));
    await expect(createRedisIntakeBarrier({ redis: down as never, stream: 's', group: 'g' }).storedBefore('1-0')).rejects.toThrow(
      'Connection is closed.',
    );
  });
});
