import { MAX_ENVELOPE_BYTES, parseEnvelope, serialiseEnvelope } from '../../src/events/envelope';
import { isKnownEventType } from '../../src/events/event-catalog';

const rules = { isKnownType: isKnownEventType };

const valid = {
  id: 'evt_123',
  type: 'NEW_MESSAGE_FROM_VISITOR',
  accountId: 'acc_1',
  occurredAt: '2026-11-28T18:00:00.000Z',
  data: { conversationId: 'c1', text: 'héllo' },
};

const reasonOf = (raw: string, maxBytes?: number): string => {
  const result = parseEnvelope(raw, { ...rules, maxBytes });
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
};

describe('parseEnvelope', () => {
  it('accepts a well-formed envelope and serialises it once with a fixed key order', () => {
    const shuffled = JSON.stringify({
      data: valid.data,
      occurredAt: valid.occurredAt,
      accountId: 'acc_1',
      type: valid.type,
      id: 'evt_123',
    });
    const result = parseEnvelope(shuffled, rules);
    expect(result).toEqual({ ok: true, envelope: valid, body: JSON.stringify(valid) });
  });

  it('drops unknown top-level fields from the body it stores', () => {
    const result = parseEnvelope(JSON.stringify({ ...valid, extra: 'x' }), rules);
    expect(result.ok && JSON.parse(result.body)).toEqual(valid);
  });

  it('accepts occurredAt with a numeric offset and keeps it as published', () => {
    const result = parseEnvelope(JSON.stringify({ ...valid, occurredAt: '2026-11-28T19:00:00+01:00' }), rules);
    expect(result.ok && result.envelope.occurredAt).toBe('2026-11-28T19:00:00+01:00');
  });

  it('serialises the same envelope to the same bytes every time', () => {
    expect(serialiseEnvelope(valid)).toBe(serialiseEnvelope({ ...valid }));
  });

  it.each([
    ['text that is not JSON', 'hello', /not valid JSON/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['JSON null', 'null', /not a JSON object/],
    ['a missing id', JSON.stringify({ ...valid, id: undefined }), /id: must be a string/],
    ['an empty id', JSON.stringify({ ...valid, id: '' }), /id: must not be empty/],
    ['an id longer than 200 characters', JSON.stringify({ ...valid, id: 'x'.repeat(201) }), /id: must be at most 200/],
    ['an id with a newline', JSON.stringify({ ...valid, id: 'a\r\nb' }), /id: must contain only visible ASCII/],
    ['a numeric accountId', JSON.stringify({ ...valid, accountId: 42 }), /accountId: must be a string/],
    ['an occurredAt that is not a date-time', JSON.stringify({ ...valid, occurredAt: 'yesterday' }), /occurredAt: must be an ISO 8601/],
    ['an occurredAt without a time zone', JSON.stringify({ ...valid, occurredAt: '2026-11-28T18:00:00' }), /occurredAt/],
    ['data that is an array', JSON.stringify({ ...valid, data: [1] }), /data: must be a JSON object/],
    ['data that is missing', JSON.stringify({ ...valid, data: undefined }), /data: must be a JSON object/],
    ['an event type not in the catalog', JSON.stringify({ ...valid, type: 'SOMETHING_ELSE' }), /unknown event type "SOMETHING_ELSE"/],
    ['the wildcard as an event type', JSON.stringify({ ...valid, type: '*' }), /unknown event type/],
  ])('rejects %s with a reason', (_name, raw, reason) => {
    expect(reasonOf(raw)).toMatch(reason);
  });

  it('names every bad field in one reason', () => {
    const reason = reasonOf(JSON.stringify({ id: 1, type: 'NEW_MESSAGE_FROM_VISITOR', data: 'x' }));
    expect(reason).toMatch(/id: /);
    expect(reason).toMatch(/accountId: /);
    expect(reason).toMatch(/occurredAt: /);
    expect(reason).toMatch(/data: /);
  });

  it('rejects a message over the size cap without parsing it, and does not echo it', () => {
    const big = JSON.stringify({ ...valid, data: { text: 'z'.repeat(MAX_ENVELOPE_BYTES) } });
    const reason = reasonOf(big);
    expect(reason).toMatch(/larger than the 262144-byte limit/);
    expect(reason).not.toContain('zzz');
  });

  it('counts the size cap in UTF-8 bytes, not characters', () => {
    const raw = JSON.stringify({ ...valid, data: { text: 'é'.repeat(500) } });
    expect(raw.length).toBeLessThan(1000);
    expect(reasonOf(raw, 1000)).toMatch(/larger than the 1000-byte limit/);
  });
});

describe('parseEnvelope, orderingKey', () => {
  const withKey = (orderingKey: unknown) => JSON.stringify({ ...valid, orderingKey });

  it.each([
    ['an empty key', '', 'orderingKey: must be 1-200 characters'],
    ['201 characters', 'k'.repeat(201), 'orderingKey: must be 1-200 characters'],
    ['a number', 42, 'orderingKey: must be a string'],
    ['an object', { id: 'c1' }, 'orderingKey: must be a string'],
    ['a newline', 'conv\n1', 'orderingKey: must not contain control characters'],
    ['a NUL', 'conv\u00001', 'orderingKey: must not contain control characters'],
    ['a C1 control', 'conv\u00851', 'orderingKey: must not contain control characters'],
  ])('refuses %s as a malformed message', (_name, key, reason) => {
    expect(reasonOf(withKey(key))).toContain(reason);
  });

  it.each([
    ['one character', 'c'],
    ['200 characters counted as code points', '😀'.repeat(200)],
    ['a conversation id', 'conv_7f3a-2026'],
  ])('accepts %s', (_name, key) => {
    expect(parseEnvelope(withKey(key), rules).ok).toBe(true);
  });

  it('accepts an envelope without one', () => {
    expect(parseEnvelope(JSON.stringify(valid), rules).ok).toBe(true);
  });
});
