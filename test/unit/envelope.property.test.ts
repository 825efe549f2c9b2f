/** parseEnvelope against arbitrary input: it never throws, and whatever it accepts is a valid, bounded envelope. */
import fc from 'fast-check';
import { MAX_ENVELOPE_DEPTH, nestingDepth, parseEnvelope } from '../../src/events/envelope';
import { isKnownEventType } from '../../src/events/event-catalog';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz';
import { anyMessage } from '../helpers/hostile-messages';

const rules = { isKnownType: isKnownEventType };
const settings = (base: number) => ({ seed: fuzzSeed(19), numRuns: fuzzRuns(base) });

describe('parseEnvelope, any input', () => {
  it('never throws, and accepts only a well-formed envelope whose body is its exact serialisation', () => {
    fc.assert(
      fc.property(anyMessage, (raw) => {
        const result = parseEnvelope(raw, rules);
        if (!result.ok) {
          expect(typeof result.reason).toBe('string');
          expect(result.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(isKnownEventType(result.envelope.type)).toBe(true);
        expect(result.envelope.id).toMatch(/^[\x21-\x7e]{1,200}$/);
        expect(nestingDepth(result.body)).toBeLessThanOrEqual(MAX_ENVELOPE_DEPTH);
        expect(JSON.parse(result.body)).toEqual(result.envelope);
      }),
      settings(300),
    );
  });

  it('rejects any message nested deeper than the bound, by its reason', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_ENVELOPE_DEPTH + 1, max: 500_000 }), (levels) => {
        const raw = `{"id":"e","type":"CONVERSATION_CREATED","accountId":"a","occurredAt":"2026-01-01T00:00:00Z","data":{"x":${'['.repeat(levels)}${']'.repeat(levels)}}}`;
        const result = parseEnvelope(raw, { ...rules, maxBytes: 2 * 1024 * 1024 });
        expect(result).toEqual({ ok: false, reason: `message nests objects and arrays more than ${MAX_ENVELOPE_DEPTH} levels deep` });
      }),
      settings(30),
    );
  });
});

describe('nestingDepth', () => {
  it.each([
    ['{}', 1],
    ['[[[]]]', 3],
    ['{"a":"[[[["}', 1],
    ['{"a":"\\"[["}', 1],
    ['{"a":[{"b":[]}]}', 4],
    ['"no containers"', 0],
  ])('%s -> %i', (text, depth) => {
    expect(nestingDepth(text)).toBe(depth);
  });

  it('agrees with the nesting of any JSON value', () => {
    const depthOf = (value: unknown): number =>
      value !== null && typeof value === 'object' ? 1 + Math.max(0, ...Object.values(value as object).map(depthOf)) : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 20 }), (value) => {
        expect(nestingDepth(JSON.stringify(value))).toBe(depthOf(value));
      }),
      settings(300),
    );
  });
});
