import fc from 'fast-check';
import { decideTurn, type LaneFacts } from '../../src/lanes/lane-decision';
import { entryIdOfPosition, positionOfEntryId } from '../../src/lanes/lane-position';
import { intakeDelayMs, recheckDelayMs } from '../../workflows/lane-plan';
import { fuzzRuns } from '../helpers/fuzz';

describe('lane positions', () => {
  it.each([
    ['0-0', '0'],
    ['0-1', '1'],
    ['1-0', '18446744073709551616'],
    ['1700000000000-5', (1700000000000n * 2n ** 64n + 5n).toString()],
    ['18446744073709551615-18446744073709551615', (2n ** 128n - 1n).toString()],
  ])('places entry %s at %s', (entryId, position) => {
    expect(positionOfEntryId(entryId)).toBe(position);
    expect(entryIdOfPosition(position)).toBe(entryId);
  });

  it.each([
    ['', ''],
    ['1', 'no sequence'],
    ['1-', 'empty sequence'],
    ['-1', 'no ms'],
    ['a-1', 'not digits'],
    ['18446744073709551616-0', 'ms above 2^64 - 1'],
    ['1-2-3', 'three parts'],
    [' 1-2', 'a space'],
  ])('refuses %j (%s)', (entryId) => {
    expect(positionOfEntryId(entryId)).toBeNull();
  });

  it('orders positions exactly as Redis orders entry ids (ms, then sequence)', () => {
    const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    fc.assert(
      fc.property(u64, u64, u64, u64, (ms1, seq1, ms2, seq2) => {
        const a = BigInt(positionOfEntryId(`${ms1}-${seq1}`) as string);
        const b = BigInt(positionOfEntryId(`${ms2}-${seq2}`) as string);
        const redisOrder = ms1 === ms2 ? Math.sign(Number(seq1 - seq2)) : ms1 < ms2 ? -1 : 1;
        return Math.sign(Number(a - b)) === redisOrder;
      }),
      { numRuns: fuzzRuns(500) },
    );
  });
});

describe('decideTurn', () => {
  const ahead = { deliveryId: 'd-1', eventId: 'e-1', workflowId: 'delivery:e-1:s' };
  const facts = (change: Partial<LaneFacts>): LaneFacts => ({
    placed: true,
    passedBefore: false,
    subscription: 'ordered',
    ahead,
    ...change,
  });

  it.each<[string, Partial<LaneFacts>, ReturnType<typeof decideTurn>]>([
    ['waits for the delivery ahead', {}, { kind: 'wait', ahead }],
    ['goes at the head of its lane', { ahead: null }, { kind: 'go', reason: 'head' }],
    ['goes without a row (not placed)', { placed: false }, { kind: 'go', reason: 'not-placed' }],
    ['goes when it passed before (a re-send or a reset)', { passedBefore: true }, { kind: 'go', reason: 'passed-before' }],
    ['goes when the subscription was deleted', { subscription: 'missing' }, { kind: 'go', reason: 'subscription-missing' }],
    [
      'goes when the subscription is switched off (its attempt then fails)',
      { subscription: 'inactive' },
      { kind: 'go', reason: 'subscription-inactive' },
    ],
    ['goes when the subscription is no longer ordered', { subscription: 'unordered' }, { kind: 'go', reason: 'unordered' }],
    [
      'a missing subscription wins over a delivery ahead',
      { subscription: 'missing', ahead },
      { kind: 'go', reason: 'subscription-missing' },
    ],
  ])('%s', (_name, change, expected) => {
    expect(decideTurn(facts(change))).toEqual(expected);
  });
});

describe('lane waits', () => {
  const recheck = { initialMs: 60_000, maxMs: 600_000 };
  it.each([
    [0, 60_000],
    [1, 120_000],
    [3, 480_000],
    [4, 600_000],
    [1_000, 600_000],
  ])('re-check after wait %i: %i ms', (waits, ms) => {
    expect(recheckDelayMs(recheck, waits)).toBe(ms);
  });
  it.each([
    [0, 250],
    [1, 500],
    [5, 8_000],
    [6, 10_000],
    [1_000, 10_000],
  ])('intake wait %i: %i ms', (waits, ms) => {
    expect(intakeDelayMs(waits)).toBe(ms);
  });
});
