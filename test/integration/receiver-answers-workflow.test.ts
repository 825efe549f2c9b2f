/**
 * Receiver answers through the whole delivery workflow (Temporal dev server, an in-process worker wired like
 * production, Postgres, a raw TCP receiver on 127.0.0.1): a 2xx, whatever its body and however the body ends, is
 * recorded once as SUCCESS and never sent again; any answer sequence leaves as many attempt-log entries as the
 * receiver got POSTs. Property-based with a fixed seed (FUZZ_RUNS / FUZZ_SEED to vary).
 */
import type { Client } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { loadConfig, requireEncryptionKey, type Config } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { createDeliveryRepository } from '../../src/deliveries/delivery.repository';
import { isStorableText } from '../../src/shared/storable-text';
import { connectTemporalClient, type TemporalClientHandle } from '../../src/temporal/connections';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz';
import { rawHead, startRawReceiver, type RawAnswer, type RawReceiver } from '../helpers/raw-receiver';
import { insertEvent, insertSubscription } from '../helpers/subscription-fixtures';
import { ending, startDelivery, uniqueTaskQueue } from '../helpers/temporal';
import { bundleWorkflows, startTestWorker, type TestWorker } from '../helpers/worker';

const testEnv = {
  WEBHOOKS_REQUEST_TIMEOUT_MS: '400',
  WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '50',
  WEBHOOKS_RETRY_BACKOFF: '1',
  WEBHOOKS_RETRY_MAX_INTERVAL_MS: '50',
  WEBHOOKS_RETRY_MAX_ATTEMPTS: '3',
  SSRF_ALLOW_CIDRS: '127.0.0.1/32',
};

let config: Config;
let dataSource: DataSource;
let box: SecretBox;
let temporal: TemporalClientHandle;
let client: Client;
let bundle: WorkflowBundle;
let worker: TestWorker;
let receiver: RawReceiver;

beforeAll(async () => {
  config = loadConfig({ ...process.env, ...testEnv, TEMPORAL_TASK_QUEUE: uniqueTaskQueue('receiver-answers') });
  dataSource = createDataSource(config.databaseUrl, { poolSize: 5 });
  await dataSource.initialize();
  box = createSecretBox(requireEncryptionKey(config));
  temporal = await connectTemporalClient(config);
  client = temporal.client;
  bundle = await bundleWorkflows();
  worker = await startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle });
  receiver = await startRawReceiver();
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await worker?.stop();
  await temporal?.close();
  await dataSource?.destroy();
});

/** The delivery made to the end against `answers` (one per request, then 200 with an empty body). */
async function delivered(...answers: RawAnswer[]) {
  receiver.reset();
  receiver.enqueue(...answers);
  const { subscription } = await insertSubscription(dataSource, box, { url: receiver.url });
  const event = await insertEvent(dataSource, { accountId: subscription.accountId });
  const end = await ending(await startDelivery(client, config, event, subscription));
  const deliveries = createDeliveryRepository(dataSource);
  const row = await deliveries.findByEventAndSubscription(event.id, subscription.id);
  if (!row) throw new Error('no delivery row');
  return { end, posts: receiver.requests.length, row, attempts: await deliveries.listAttempts(row.id) };
}

const BODY = fc.oneof(
  fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 800 }).map((text) => Buffer.from(text, 'utf8')),
);
const ENDING = fc.constantFrom<'complete' | 'trickle' | 'reset' | 'gzip-garbage'>('complete', 'trickle', 'reset', 'gzip-garbage');

function answer(status: number, body: Buffer, how: 'complete' | 'trickle' | 'reset' | 'gzip-garbage'): RawAnswer {
  const statusLine = `HTTP/1.1 ${status} Whatever`;
  if (how === 'trickle') return { head: rawHead(statusLine, [`Content-Length: ${body.length + 5}`]), body, then: 'hang' };
  if (how === 'reset') return { head: rawHead(statusLine, [`Content-Length: ${body.length + 5}`]), body, then: 'reset' };
  if (how === 'gzip-garbage') return { head: rawHead(statusLine, ['Content-Encoding: gzip', `Content-Length: ${body.length}`]), body };
  return { head: rawHead(statusLine, [`Content-Length: ${body.length}`]), body };
}

describe('receiver answers through the delivery workflow', () => {
  it('records a 2xx once as SUCCESS and never sends it again, whatever its body and however it ends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 200, max: 299 }), BODY, ENDING, async (status, body, how) => {
        const outcome = await delivered(answer(status, body, how));
        expect(outcome.end.status).toBe('COMPLETED');
        expect(outcome.posts).toBe(1);
        expect(outcome.row).toMatchObject({ status: 'SUCCESS', attempts: 1, lastStatusCode: status });
        expect(outcome.attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([[1, status, null]]);
        const excerpt = outcome.attempts[0]!.responseBody ?? '';
        expect(isStorableText(excerpt)).toBe(true);
        expect(excerpt.length).toBeLessThanOrEqual(1_024);
      }),
      { numRuns: fuzzRuns(6), seed: fuzzSeed(19), endOnFailure: true },
    );
  }, 120_000);

  it('leaves one attempt-log entry per POST for any answer followed by a 200', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200, max: 999 }).filter((s) => s !== 410),
        BODY,
        ENDING,
        async (status, body, how) => {
          const outcome = await delivered(answer(status, body, how));
          expect(outcome.end.status).toBe('COMPLETED');
          expect(outcome.attempts).toHaveLength(outcome.posts);
          expect(outcome.posts).toBe(status >= 200 && status < 300 ? 1 : 2);
          expect(outcome.attempts.map((a) => a.attempt)).toEqual(outcome.attempts.map((_, i) => i + 1));
          expect(outcome.attempts.every((a) => !a.inFlight)).toBe(true);
        },
      ),
      { numRuns: fuzzRuns(6), seed: fuzzSeed(1919), endOnFailure: true },
    );
  }, 120_000);

  it('delivers a 200 whose body holds a NUL once: one POST, one attempt, SUCCESS (the issue as reported)', async () => {
    const outcome = await delivered(answer(200, Buffer.from('ok\u0000', 'utf8'), 'complete'));
    expect(outcome.end.status).toBe('COMPLETED');
    expect(outcome.posts).toBe(1);
    expect(outcome.row).toMatchObject({ status: 'SUCCESS', attempts: 1 });
    expect(outcome.attempts.map((a) => [a.attempt, a.statusCode, a.responseBody])).toEqual([[1, 200, 'ok\ufffd']]);
  });
});
