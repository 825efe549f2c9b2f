/**
 * `npm run --silent cli -- events publish ...` as the README tells users to run it, against the shared Redis on a
 * stream of its own: the event id alone on stdout, the entry `event <json>` in the stream; bad input exits non-zero
 * and writes nothing; an unreachable Redis exits 1 with the reason.
 */
import { parseEnvelope } from '../../src/events/envelope';
import { isKnownEventType } from '../../src/events/event-catalog';
import { runCli } from '../helpers/cli';
import { createStreamPublisher, uniqueStream, type StreamPublisher } from '../helpers/redis';

jest.setTimeout(60_000);

describe('events CLI', () => {
  const stream = uniqueStream('cli');
  let redis: StreamPublisher;
  beforeAll(() => {
    redis = createStreamPublisher(process.env.REDIS_URL as string);
  });
  afterAll(async () => {
    await redis.redis.del(stream);
    await redis.close();
  });

  it('adds one event to the stream and prints its id alone', async () => {
    const before = Date.now();
    const result = await runCli(
      ['events', 'publish', '--account', 'acme-cli', '--type', 'NEW_MESSAGE_FROM_VISITOR', '--data', '{"text":"hi"}'],
      {
        WEBHOOKS_REDIS_STREAM: stream,
      },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^evt_[0-9a-f-]{36}\n$/);
    const eventId = result.stdout.trim();

    const entries = (await redis.redis.call('XRANGE', stream, '-', '+')) as Array<[string, string[]]>;
    expect(entries).toHaveLength(1);
    const [fields] = entries.map(([, f]) => f);
    expect(fields[0]).toBe('event');
    const parsed = parseEnvelope(fields[1], { isKnownType: isKnownEventType });
    expect(parsed).toMatchObject({
      ok: true,
      envelope: { id: eventId, type: 'NEW_MESSAGE_FROM_VISITOR', accountId: 'acme-cli', data: { text: 'hi' } },
    });
    const occurredAt = Date.parse((parsed as { envelope: { occurredAt: string } }).envelope.occurredAt);
    expect(occurredAt).toBeGreaterThanOrEqual(before - 1000);
    expect(result.stderr).toContain(entries[0][0]);
  });

  it.each([
    [['--account', 'acme-cli', '--type', 'NOT_A_TYPE'], /unknown event type "NOT_A_TYPE"/],
    [['--account', 'acme-cli', '--type', 'CONVERSATION_CREATED', '--data', 'not json'], /--data is not valid JSON/],
    [['--type', 'CONVERSATION_CREATED'], /needs --account/],
  ])('refuses %j with exit code 2 and writes nothing', async (args, message) => {
    const other = uniqueStream('cli-bad');
    const result = await runCli(['events', 'publish', ...args], { WEBHOOKS_REDIS_STREAM: other });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(await redis.redis.exists(other)).toBe(0);
  });

  it('exits 1 with the reason when Redis cannot be reached', async () => {
    const result = await runCli(['events', 'publish', '--account', 'acme-cli', '--type', 'CONVERSATION_CREATED'], {
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/could not add the event to the stream at 127\.0\.0\.1:1: .*ECONNREFUSED/);
  });
});
