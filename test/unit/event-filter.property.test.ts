/** The filter evaluator against arbitrary data and arbitrary (checked) filters: it never throws. */
import fc from 'fast-check';
import { checkFilter, matchesFilter, type EventFilter } from '../../src/subscriptions/event-filter';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz';

const settings = (base: number) => ({ seed: fuzzSeed(25), numRuns: fuzzRuns(base) });

const segment = fc.constantFrom('a', 'b', 'items', '0', '1', '__proto__', 'constructor', 'toString', 'length');
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));
const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 4 }),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(segment, tie('v'), { maxKeys: 3 }),
  ),
})).v;
const condition = fc.oneof(
  value,
  fc
    .record(
      {
        $eq: value,
        $ne: value,
        $gt: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })),
        $lte: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })),
        $in: fc.array(value, { maxLength: 3 }),
        $nin: fc.array(value, { maxLength: 3 }),
        $exists: fc.boolean(),
      },
      { requiredKeys: [] },
    )
    .filter((o) => Object.keys(o).length > 0),
);
const filter: fc.Arbitrary<EventFilter> = fc.letrec((tie) => ({
  f: fc.oneof(
    { depthSize: 'small' },
    fc.dictionary(path, condition, { maxKeys: 3 }),
    fc.record({ $and: fc.array(tie('f'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ $or: fc.array(tie('f'), { minLength: 1, maxLength: 3 }) }),
  ),
})).f as fc.Arbitrary<EventFilter>;

describe('filters, any data', () => {
  it('never throw and answer a boolean, whatever the data (JSON or not)', () => {
    fc.assert(
      fc.property(filter, fc.oneof(fc.jsonValue(), fc.anything()), (f, data) => {
        if (checkFilter(f) !== null) return;
        expect(typeof matchesFilter(f, data)).toBe('boolean');
      }),
      settings(500),
    );
  });

  it('checkFilter never throws on any input, and answers a path for what it refuses', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue(), filter), (input) => {
        const problem = checkFilter(input);
        if (problem) {
          expect(Array.isArray(problem.path)).toBe(true);
          expect(problem.message.length).toBeGreaterThan(0);
        }
      }),
      settings(500),
    );
  });

  it('$and of a filter with itself, and $or with one that never holds, answer as the filter', () => {
    fc.assert(
      fc.property(filter, fc.jsonValue(), (f, data) => {
        if (checkFilter({ $and: [f, f] }) !== null) return;
        const alone = matchesFilter(f, data);
        expect(matchesFilter({ $and: [f, f] }, data)).toBe(alone);
        expect(matchesFilter({ $or: [f, { never: { $in: [] } }] }, data)).toBe(alone);
      }),
      settings(300),
    );
  });

  it('$ne is the negation of $eq, $nin of $in, $exists false of $exists true', () => {
    fc.assert(
      fc.property(path, value, fc.jsonValue(), (p, v, data) => {
        expect(matchesFilter({ [p]: { $ne: v } }, data)).toBe(!matchesFilter({ [p]: { $eq: v } }, data));
        expect(matchesFilter({ [p]: { $nin: [v] } }, data)).toBe(!matchesFilter({ [p]: { $in: [v] } }, data));
        expect(matchesFilter({ [p]: { $exists: false } }, data)).toBe(!matchesFilter({ [p]: { $exists: true } }, data));
      }),
      settings(300),
    );
  });
});
