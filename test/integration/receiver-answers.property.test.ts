/**
 * Whatever a receiver answers, sendWebhook records it as exactly one attempt with a storable, capped excerpt, and a
 * 2xx is a success whatever its body. Property-based (fast-check, fixed seed; FUZZ_RUNS / FUZZ_SEED to vary) against
 * a raw TCP receiver on 127.0.0.1 that writes any bytes, and real Postgres; the activity runs in Temporal's
 * MockActivityEnvironment. Example-based regressions for each failure seen from outside.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../activities';
import { RESPONSE_BODY_COLUMN_CHARS } from '../../activities/send-webhook.activity';
import { loadConfig, requireEncryptionKey, type Config } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { createDeliveryRepository } from '../../src/deliveries/delivery.repository';
import { utf8Excerpt } from '../../src/http/webhook-client';
import { createLogger } from '../../src/logger';
import { isStorableText, storableText } from '../../src/shared/storable-text';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { buildActivityDeps, closeRateLimiterRedis, createRateLimiterRedis } from '../../src/worker/activity-deps';
import type { SendWebhookInput, SendWebhookResult } from '../../workflows/deliver-webhook.types';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz';
import { rawHead, startRawReceiver, type RawAnswer, type RawReceiver } from '../helpers/raw-receiver';
import { insertEvent, insertSubscription } from '../helpers/subscription-fixtures';

const REQUEST_TIMEOUT_MS = 400;

let config: Config;
let dataSource: DataSource;
let box: SecretBox;
let receiver: RawReceiver;
let redis: ReturnType<typeof createRateLimiterRedis>;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  config = loadConfig({
    ...process.env,
    SSRF_ALLOW_CIDRS: '127.0.0.1/32',
    WEBHOOKS_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT: '4',
  });
  dataSource = createDataSource(config.databaseUrl, { poolSize: 4 });
  await dataSource.initialize();
  box = createSecretBox(requireEncryptionKey(config));
  receiver = await startRawReceiver();
  redis = createRateLimiterRedis(config);
  activities = createActivities(buildActivityDeps({ config, dataSource, logger: createLogger('test', config.logLevel), redis }));
});

afterAll(async () => {
  await closeRateLimiterRedis(redis);
  await receiver?.close();
  await dataSource?.destroy();
});

async function delivery(): Promise<SendWebhookInput> {
  const { subscription } = await insertSubscription(dataSource, box, { url: receiver.url });
  const event = await insertEvent(dataSource, { accountId: subscription.accountId });
  return { eventId: event.id, subscriptionId: subscription.id, accountId: subscription.accountId, eventType: event.type };
}

type Settled = { ok: true; value: SendWebhookResult } | { ok: false; error: unknown };

/** One attempt answered with `answer`: what the activity returned or threw, what the receiver got, what was recorded. */
async function attemptAnswered(answer: RawAnswer) {
  receiver.reset();
  receiver.setDefault(answer);
  const input = await delivery();
  const environment = new MockActivityEnvironment({
    attempt: 1,
    activityType: 'sendWebhook',
    startToCloseTimeoutMs: REQUEST_TIMEOUT_MS + 2_000,
    workflowExecution: { workflowId: deliveryWorkflowId(input.eventId, input.subscriptionId), runId: randomUUID() },
  });
  const settled: Settled = await environment.run(activities.sendWebhook, input).then(
    (value) => ({ ok: true as const, value: value as SendWebhookResult }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const deliveries = createDeliveryRepository(dataSource);
  const row = await deliveries.findByEventAndSubscription(input.eventId, input.subscriptionId);
  if (!row) throw new Error('no delivery row');
  return { settled, posts: receiver.requests.length, row, attempts: await deliveries.listAttempts(row.id) };
}

/** What holds for every answer: one POST, one entry with its outcome, a storable excerpt within the cap. */
function expectOneRecordedAttempt(outcome: Awaited<ReturnType<typeof attemptAnswered>>) {
  expect(outcome.posts).toBe(1);
  expect(outcome.attempts).toHaveLength(1);
  const [entry] = outcome.attempts;
  expect(entry!.inFlight).toBe(false);
  expect(entry!.attempt).toBe(1);
  const excerpt = entry!.responseBody ?? '';
  expect(isStorableText(excerpt)).toBe(true);
  expect(excerpt.length).toBeLessThanOrEqual(RESPONSE_BODY_COLUMN_CHARS);
  // The activity succeeds or throws an ApplicationFailure: never a plain Error (Temporal would retry it blindly).
  if (!outcome.settled.ok) expect(outcome.settled.error).toBeInstanceOf(ApplicationFailure);
  const statusCode = entry!.statusCode;
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
    expect(outcome.settled).toMatchObject({ ok: true, value: { kind: 'sent', statusCode, attempt: 1 } });
    expect(outcome.row).toMatchObject({ status: 'SUCCESS', attempts: 1, lastStatusCode: statusCode });
  } else {
    expect(outcome.settled.ok).toBe(false);
    expect(outcome.row.status).toBe('PENDING');
    expect(entry!.error).toEqual(expect.any(String));
  }
}

const TOKEN = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
/** Field values Node's parser takes: visible ASCII, spaces, tabs and obs-text (bytes 0x80-0xFF), as latin1. */
const FIELD_VALUE = fc
  .string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength: 60,
  })
  .map((v) => v.trim());
const HEADER = fc.tuple(
  fc.oneof(TOKEN, fc.constantFrom('Set-Cookie', 'Content-Type', 'Retry-After', 'X-Dup', 'Content-Encoding', 'Connection')),
  FIELD_VALUE,
);
const BODY = fc.oneof(
  fc.uint8Array({ maxLength: 3_000 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 1_500 }).map((text) => Buffer.from(text, 'utf8')),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1_000, max: 300_000 })).map(([byte, size]) => Buffer.alloc(size, byte)),
);
/** How the body is framed and what happens to the connection after it. */
const FRAMING = fc.constantFrom('content-length', 'close-delimited', 'trickle', 'reset', 'gzip-garbage');

function answerOf(
  status: number,
  reason: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body: Buffer,
  framing: string,
): RawAnswer {
  const lines = headers
    .filter(([name]) => !/^(content-length|transfer-encoding|content-encoding|connection)$/i.test(name))
    .map(([name, value]) => `${name}: ${value}`);
  const statusLine = `HTTP/1.1 ${status} ${reason}`;
  switch (framing) {
    case 'close-delimited':
      return { head: rawHead(statusLine, [...lines, 'Connection: close']), body };
    case 'trickle':
      // Announces more than it sends, then goes quiet past the request timeout.
      return { head: rawHead(statusLine, [...lines, `Content-Length: ${body.length + 10}`]), body, then: 'hang' };
    case 'reset':
      return { head: rawHead(statusLine, [...lines, `Content-Length: ${body.length + 10}`]), body, then: 'reset' };
    case 'gzip-garbage':
      return { head: rawHead(statusLine, [...lines, 'Content-Encoding: gzip', `Content-Length: ${body.length}`]), body };
    default:
      return { head: rawHead(statusLine, [...lines, `Content-Length: ${body.length}`]), body };
  }
}

describe('receiver answers: properties', () => {
  it('records any well-formed answer (status 200-999, any headers, any body, cut short or not) as exactly one attempt', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200, max: 999 }),
        fc.stringMatching(/^[A-Za-z ]{0,12}$/),
        fc.array(HEADER, { maxLength: 8 }),
        BODY,
        FRAMING,
        async (status, reason, headers, body, framing) => {
          const outcome = await attemptAnswered(answerOf(status, reason, headers, body, framing));
          expectOneRecordedAttempt(outcome);
          const [entry] = outcome.attempts;
          // The status line arrived: the answer is the receiver's whatever its body did.
          expect(entry!.statusCode).toBe(status);
          // 204 and 304 carry no body by definition (HTTP/1.1): whatever bytes follow are not theirs.
          if (status === 204 || status === 304) {
            expect(entry!.responseBody).toBe('');
          } else if (framing === 'content-length' || framing === 'gzip-garbage' || body.length > 1_024) {
            // The excerpt is the raw bytes (never decompressed) decoded as UTF-8, cut on a character boundary.
            expect(entry!.responseBody).toBe(storableText(utf8Excerpt(body, 1_024)));
          }
        },
      ),
      { numRuns: fuzzRuns(40), seed: fuzzSeed(19), endOnFailure: true },
    );
  }, 120_000);

  it('records any head at all (odd header bytes, any status line) as exactly one attempt, a 2xx as a success', async () => {
    // Any bytes but CR and LF in a header line; a status line of any code 100-999 and any reason bytes.
    const oddLine = fc.string({
      unit: fc
        .integer({ min: 0, max: 0xff })
        .filter((c) => c !== 0x0a && c !== 0x0d)
        .map((c) => String.fromCharCode(c)),
      maxLength: 40,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 100, max: 999 }),
        oddLine,
        fc.array(
          fc.oneof(
            oddLine,
            HEADER.map(([name, value]) => `${name}: ${value}`),
          ),
          { maxLength: 6 },
        ),
        fc.uint8Array({ maxLength: 2_000 }),
        async (status, reason, headerLines, bytes) => {
          const body = Buffer.from(bytes);
          const outcome = await attemptAnswered({
            head: rawHead(`HTTP/1.1 ${status} ${reason}`, [...headerLines, `Content-Length: ${body.length}`]),
            body,
          });
          expectOneRecordedAttempt(outcome);
        },
      ),
      { numRuns: fuzzRuns(30), seed: fuzzSeed(1919), endOnFailure: true },
    );
  }, 120_000);
});

describe('receiver answers: regressions', () => {
  it('records a 200 whose body holds a NUL once, as a success, the NUL stored as U+FFFD', async () => {
    const body = Buffer.from('{"ok":true}\u0000tail', 'utf8');
    const outcome = await attemptAnswered(answerOf(200, 'OK', [['Content-Type', 'application/json']], body, 'content-length'));
    expectOneRecordedAttempt(outcome);
    expect(outcome.attempts[0]!.responseBody).toBe('{"ok":true}\ufffdtail');
  });

  it('takes a 200 whose body claims gzip but is garbage as a success with the raw bytes as its excerpt', async () => {
    const body = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x41, 0x42]);
    const outcome = await attemptAnswered(answerOf(200, 'OK', [], body, 'gzip-garbage'));
    expectOneRecordedAttempt(outcome);
    expect(outcome.attempts[0]!.statusCode).toBe(200);
  });

  it('takes a 200 whose body trickles past the timeout as a success, keeping what arrived', async () => {
    const outcome = await attemptAnswered(answerOf(200, 'OK', [], Buffer.from('partial'), 'trickle'));
    expectOneRecordedAttempt(outcome);
    // The body never completes (the receiver goes quiet after 'partial'): only the request timeout ended the attempt.
    expect(outcome.attempts[0]).toMatchObject({ statusCode: 200, responseBody: 'partial', error: null, durationMs: expect.any(Number) });
  });

  it('takes a 200 whose connection is reset mid-body as a success', async () => {
    const outcome = await attemptAnswered(answerOf(200, 'OK', [], Buffer.from('half'), 'reset'));
    expectOneRecordedAttempt(outcome);
    expect(outcome.attempts[0]).toMatchObject({ statusCode: 200, error: null });
  });

  it('caps a huge body at 1 KiB on a character boundary', async () => {
    // 'é' is two bytes in UTF-8: 1 KiB of bytes ends inside the 513th, which is left out whole.
    const body = Buffer.from(`x${'é'.repeat(100_000)}`, 'utf8');
    const outcome = await attemptAnswered(answerOf(200, 'OK', [], body, 'content-length'));
    expectOneRecordedAttempt(outcome);
    expect(outcome.attempts[0]!.responseBody).toBe(`x${'é'.repeat(511)}`);
  });

  it("records a failed answer with invalid UTF-8 and a lone surrogate's bytes storably", async () => {
    const body = Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80, 0x41, 0x00, 0xc3]);
    const outcome = await attemptAnswered(answerOf(503, 'Busy', [['Retry-After', 'soon']], body, 'content-length'));
    expectOneRecordedAttempt(outcome);
    expect(outcome.attempts[0]).toMatchObject({ statusCode: 503, error: 'HTTP 503' });
  });

  it('records an interim 1xx status line followed by garbage as one failed attempt', async () => {
    const outcome = await attemptAnswered({ head: rawHead('HTTP/1.1 102 Processing'), body: Buffer.from('not a status line\r\n\r\n') });
    expectOneRecordedAttempt(outcome);
    expect(outcome.attempts[0]!.statusCode).toBeNull();
  });

  describe('when Postgres refuses to record the answer', () => {
    const marker = `unstorable-${randomUUID()}`;
    beforeAll(async () => {
      // Refuses (22023, a data error) any attempt row whose response body carries the marker, every time; and
      // (40001, transient) the first write of a row whose body carries the marker's transient twin.
      await dataSource.query(`CREATE SEQUENCE IF NOT EXISTS test_receiver_answers_transient`);
      await dataSource.query(`
        CREATE OR REPLACE FUNCTION test_receiver_answers_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.response_body LIKE '%${marker}-data%' THEN
            RAISE EXCEPTION 'refused for the test' USING ERRCODE = '22023';
          END IF;
          IF NEW.response_body LIKE '%${marker}-transient%' AND nextval('test_receiver_answers_transient') = 1 THEN
            RAISE EXCEPTION 'serialization failure for the test' USING ERRCODE = '40001';
          END IF;
          RETURN NEW;
        END $$`);
      await dataSource.query(`
        CREATE TRIGGER test_receiver_answers_refuse BEFORE INSERT OR UPDATE ON webhook_delivery_attempts
        FOR EACH ROW EXECUTE FUNCTION test_receiver_answers_refuse()`);
    });
    afterAll(async () => {
      await dataSource.query(`DROP TRIGGER IF EXISTS test_receiver_answers_refuse ON webhook_delivery_attempts`);
      await dataSource.query(`DROP FUNCTION IF EXISTS test_receiver_answers_refuse()`);
      await dataSource.query(`DROP SEQUENCE IF EXISTS test_receiver_answers_transient`);
    });

    it('records a 2xx whose excerpt is refused (a data error) once, as a success, without its text: no second POST', async () => {
      const outcome = await attemptAnswered(answerOf(200, 'OK', [], Buffer.from(`${marker}-data`), 'content-length'));
      expectOneRecordedAttempt(outcome);
      expect(outcome.attempts[0]).toMatchObject({
        statusCode: 200,
        responseBody: null,
        error: 'the answer could not be stored (SQLSTATE 22023)',
      });
    });

    it('records a failure whose excerpt is refused with its status and the reason, retryable as the status says', async () => {
      const outcome = await attemptAnswered(answerOf(500, 'Oops', [], Buffer.from(`${marker}-data`), 'content-length'));
      expectOneRecordedAttempt(outcome);
      expect(outcome.attempts[0]).toMatchObject({
        statusCode: 500,
        responseBody: null,
        error: 'HTTP 500: the answer could not be stored (SQLSTATE 22023)',
      });
      expect(outcome.settled).toMatchObject({ ok: false, error: { nonRetryable: false, details: [{ attempt: 1, statusCode: 500 }] } });
    });

    it('tries a transient error again in the activity: one POST, one attempt, a success', async () => {
      const outcome = await attemptAnswered(answerOf(200, 'OK', [], Buffer.from(`${marker}-transient`), 'content-length'));
      expectOneRecordedAttempt(outcome);
      expect(outcome.attempts[0]).toMatchObject({ statusCode: 200, responseBody: `${marker}-transient` });
    });
  });
});
