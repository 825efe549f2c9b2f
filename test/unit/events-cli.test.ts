import { parseEventsCommand } from '../../src/events/events-cli';
import { UsageError } from '../../src/shared/cli';

const fixedId = () => 'evt_fixed';
const fixedNow = () => new Date('2026-12-01T10:00:00.000Z');

describe('cli events publish: parsing', () => {
  it('builds the envelope with a fresh id and occurredAt, in the one serialisation', () => {
    const command = parseEventsCommand(
      ['publish', '--account', 'acme', '--type', 'NEW_MESSAGE_FROM_VISITOR', '--data', '{"text":"hi"}'],
      fixedId,
      fixedNow,
    );
    expect(command).toEqual({
      action: 'publish',
      eventId: 'evt_fixed',
      body: '{"id":"evt_fixed","type":"NEW_MESSAGE_FROM_VISITOR","accountId":"acme","occurredAt":"2026-12-01T10:00:00.000Z","data":{"text":"hi"}}',
    });
    const equals = parseEventsCommand(['publish', '--type=CONVERSATION_CREATED', '--account=acme'], fixedId, fixedNow);
    expect(JSON.parse(equals.body)).toMatchObject({ type: 'CONVERSATION_CREATED', accountId: 'acme', data: {} });
  });

  it('puts --ordering-key in the envelope, after data', () => {
    const command = parseEventsCommand(
      ['publish', '--account', 'acme', '--type', 'NEW_MESSAGE_FROM_VISITOR', '--ordering-key', 'conv_42'],
      fixedId,
      fixedNow,
    );
    expect(command.body).toBe(
      '{"id":"evt_fixed","type":"NEW_MESSAGE_FROM_VISITOR","accountId":"acme","occurredAt":"2026-12-01T10:00:00.000Z","data":{},"orderingKey":"conv_42"}',
    );
    expect(
      JSON.parse(parseEventsCommand(['publish', '--account=acme', '--type=CONVERSATION_CREATED', '--ordering-key=c-1']).body),
    ).toMatchObject({
      orderingKey: 'c-1',
    });
  });

  it('gives each event its own id by default', () => {
    const args = ['publish', '--account', 'acme', '--type', 'CONVERSATION_CREATED'];
    const [a, b] = [parseEventsCommand(args), parseEventsCommand(args)];
    expect(a.eventId).toMatch(/^evt_[0-9a-f-]{36}$/);
    expect(a.eventId).not.toBe(b.eventId);
  });

  it.each([
    [[], /missing events command/],
    [['send'], /unknown events command "send"/],
    [['publish', '--type', 'CONVERSATION_CREATED'], /needs --account/],
    [['publish', '--account', 'acme'], /needs --type/],
    [['publish', '--account', 'acme', '--type', 'NOPE'], /unknown event type "NOPE"; known types: .*CONVERSATION_CREATED/],
    [['publish', '--account', 'acme', '--type', 'CONVERSATION_CREATED', '--data', '{nope'], /--data is not valid JSON/],
    [['publish', '--account', 'acme', '--type', 'CONVERSATION_CREATED', '--data', '[1]'], /--data must be a JSON object/],
    [['publish', '--account', 'a b', '--type', 'CONVERSATION_CREATED'], /accountId: must contain only visible ASCII/],
    [['publish', '--account', 'acme', '--account', 'other', '--type', 'CONVERSATION_CREATED'], /--account given twice/],
    [['publish', '--account'], /--account needs a value/],
    [['publish', '--account', 'acme', '--type', 'CONVERSATION_CREATED', '--ordering-key', ''], /orderingKey: must be 1-200 characters/],
    [['publish', '--account', 'acme', '--type', 'CONVERSATION_CREATED', '--ordering-key', 'k'.repeat(201)], /orderingKey: must be 1-200/],
    [['publish', '--account', 'acme', '--type', 'CONVERSATION_CREATED', '--ordering-key', 'a\nb'], /orderingKey: must not contain control/],
    [['publish', '--account', 'acme', '--type', 'CONVERSATION_CREATED', '--id', 'x'], /unexpected argument "--id"/],
    [
      ['publish', '--account', 'acme', '--type', 'CONVERSATION_CREATED', '--data', JSON.stringify({ blob: 'x'.repeat(300 * 1024) })],
      /larger than the 262144-byte limit/,
    ],
  ])('refuses %j', (args, message) => {
    expect(() => parseEventsCommand(args as string[])).toThrow(UsageError);
    expect(() => parseEventsCommand(args as string[])).toThrow(message);
  });
});
