/**
 * Arbitrary messages for the ways in: any string (every code point, NUL, lone surrogates), large ones, any JSON value,
 * envelope-shaped objects whose fields are sometimes right and often anything, and nesting far past any stack.
 */
import fc from 'fast-check';

/** Envelope-shaped objects whose fields are sometimes right and often anything at all. */
export const envelopeLike = (accountId?: string) =>
  fc.record(
    {
      id: fc.oneof(fc.string({ unit: 'binary', maxLength: 250 }), fc.anything()),
      type: fc.oneof(fc.constantFrom('NEW_MESSAGE_FROM_VISITOR', 'CONVERSATION_CREATED'), fc.string({ unit: 'binary' }), fc.anything()),
      accountId: fc.oneof(
        accountId === undefined ? fc.stringMatching(/^[\x21-\x7e]{1,140}$/) : fc.constant(accountId),
        fc.string({ unit: 'binary' }),
        fc.anything(),
      ),
      occurredAt: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.string({ unit: 'binary' }),
        fc.anything(),
      ),
      data: fc.oneof(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()), fc.anything()),
      orderingKey: fc.anything(),
    },
    { requiredKeys: [] },
  );

/** Envelopes that pass validation, carrying arbitrary data (any key, any string, any JSON value). */
export const validEnvelope = (accountId?: string) =>
  fc.record({
    id: fc.stringMatching(/^[\x21-\x7e]{1,200}$/),
    type: fc.constantFrom('NEW_MESSAGE_FROM_VISITOR', 'CONVERSATION_CREATED'),
    accountId: accountId === undefined ? fc.stringMatching(/^[\x21-\x7e]{1,128}$/) : fc.constant(accountId),
    occurredAt: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()),
    data: fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 10 })),
  });

export const deeplyNested = fc
  .tuple(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom('[', '{"a":'), fc.boolean())
  .map(([levels, open, closed]) => {
    const close = open === '[' ? ']' : '}';
    return `{"id":"e","type":"CONVERSATION_CREATED","accountId":"a","occurredAt":"2026-01-01T00:00:00Z","data":{"x":${open.repeat(levels)}${open === '[' ? '' : '0'}${closed ? close.repeat(levels) : ''}}}`;
  });

export const anyMessageFor = (accountId?: string) =>
  fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'binary', maxLength: 300_000, size: 'max' }),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    envelopeLike(accountId).map((value) => {
      try {
        return JSON.stringify(value) ?? 'undefined';
      } catch {
        // A value JSON cannot hold (a BigInt, a cycle): its type tag, one more message that is not JSON.
        return Object.prototype.toString.call(value);
      }
    }),
    validEnvelope(accountId).map((value) => JSON.stringify(value)),
    deeplyNested,
  );

export const anyMessage = anyMessageFor();
