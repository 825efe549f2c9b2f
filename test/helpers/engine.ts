/**
 * The whole engine in one test process, built by the composition roots' own builders (src/app/): the REST API
 * (with the deliveries routes) on 127.0.0.1:0, the Redis listener service, and optionally a delivery worker, all on
 * a channel and task queue unique to the caller. Every part talks to the real Postgres, Redis and Temporal.
 */
import { errorSummary } from '../../src/shared/error-summary';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { buildApi } from '../../src/app/api';
import { openInfrastructure } from '../../src/app/infrastructure';
import { buildListener, type ListenerOptions } from '../../src/app/listener';
import { loadConfig, type Config } from '../../src/config';
import type { SecretBox } from '../../src/crypto/secret-box';
import type { EventListenerService } from '../../src/events/event-listener.service';
import { createApiKeyRepository } from '../../src/keys/api-key.repository';
import { createLogger, type Logger } from '../../src/logger';
import { createPublisher, uniqueChannel, uniqueStream, type Publisher } from './redis';

/** A short retry policy so that exhaustion happens within a test. */
export const SHORT_RETRY_ENV = {
  WEBHOOKS_RETRY_INITIAL_INTERVAL_MS: '200',
  WEBHOOKS_RETRY_BACKOFF: '1.5',
  WEBHOOKS_RETRY_MAX_INTERVAL_MS: '500',
  WEBHOOKS_RETRY_MAX_ATTEMPTS: '3',
};

/** A test's config: both ways in are on (tests that switch one off read `redisChannel`/`redisStream` as nullable). */
export type TestConfig = Config & { readonly redisChannel: string; readonly redisStream: NonNullable<Config['redisStream']> };

/**
 * Config for one test file: its own channel, stream, group and task queue, 127.0.0.1 allowed as a target, a short
 * retry policy, and a short claim idle time (so that a dead listener's entries are claimed within a test).
 */
export function testConfig(label: string, env: Record<string, string> = {}): TestConfig {
  const config = loadConfig({
    ...process.env,
    WEBHOOKS_REDIS_CHANNEL: uniqueChannel(label),
    WEBHOOKS_REDIS_STREAM: uniqueStream(label),
    WEBHOOKS_REDIS_GROUP: `${label}-group-${randomBytes(4).toString('hex')}`,
    WEBHOOKS_STREAM_BLOCK_MS: '1000',
    WEBHOOKS_STREAM_CLAIM_IDLE_MS: '2000',
    TEMPORAL_TASK_QUEUE: `${label}-${process.env.TEST_RUN_ID ?? 'local'}-${randomBytes(4).toString('hex')}`,
    SSRF_ALLOW_CIDRS: '127.0.0.1/32',
    ...SHORT_RETRY_ENV,
    ...env,
  });
  return config as TestConfig;
}

/** A logger whose JSON lines the test can read and wait for. */
export interface CapturedLogs {
  readonly logger: Logger;
  lines(): Array<Record<string, unknown>>;
  waitFor(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function captureLogs(name = 'test'): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return {
    logger: createLogger(name, 'debug', sink),
    lines: () => [...lines],
    waitFor: (predicate, timeoutMs = 10_000) => waitFor(() => lines.find(predicate), timeoutMs, 'log line'),
  };
}

/** Polls until `probe` returns something truthy (awaited), or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 15_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${errorSummary(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts a delivery worker on the config's task queue (e2e tests pass the delivery core's test worker). */
export type WorkerStarter = (config: Config, dataSource: DataSource) => Promise<{ stop(): Promise<void> }>;

export interface ApiResponse {
  status: number;
  body: any;
}

export interface Engine {
  readonly config: TestConfig;
  /** The API's `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  readonly dataSource: DataSource;
  /** The engine's Temporal client (the API's and the listener's), for describe() and queries. */
  readonly temporal: Client;
  readonly logs: CapturedLogs;
  readonly secretBox: SecretBox;
  readonly listener: EventListenerService | null;
  readonly publisher: Publisher;
  request(method: string, path: string, key: string, body?: unknown): Promise<ApiResponse>;
  newAccount(label?: string): Promise<{ accountId: string; key: string }>;
  /** Publishes on the engine's channel. */
  publish(message: string | object): Promise<number>;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** Runs a delivery worker on the engine's task queue; none when absent. */
  startWorker?: WorkerStarter;
  /** Run the listener service (default true). */
  listener?: boolean;
  listenerOptions?: ListenerOptions['service'];
}

export async function startEngine(config: TestConfig, options: EngineOptions = {}): Promise<Engine> {
  const logs = captureLogs('engine');
  const infra = await openInfrastructure(config, { role: 'api', logger: logs.logger, poolSize: 6 });
  const { dataSource } = infra;
  const api = buildApi(infra, { port: 0, host: '127.0.0.1', readiness: async () => ({ ok: true, checks: {} }) });
  await api.start();
  const baseUrl = `http://127.0.0.1:${api.address().port}`;

  // The tests run a worker of their own (startWorker), and read no listener /metrics.
  const built =
    options.listener === false
      ? null
      : buildListener(infra, { service: options.listenerOptions, embeddedWorker: false, metricsServer: false });
  await built?.start();
  const listener = built?.service() ?? null;
  const worker = options.startWorker ? await options.startWorker(config, dataSource) : null;
  const publisher = createPublisher(config);
  const keys = createApiKeyRepository(dataSource);
  if (listener) await listener.whenReady();

  return {
    config,
    baseUrl,
    dataSource,
    temporal: infra.temporalClient().client,
    logs,
    secretBox: api.secretBox,
    listener,
    publisher,
    async request(method, path, key, body) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async newAccount(label = 'acct') {
      const accountId = `${label}-${process.env.TEST_RUN_ID}-${randomBytes(4).toString('hex')}`;
      const created = await keys.create(accountId);
      return { accountId, key: created.key };
    },
    publish: (message) => publisher.publish(config.redisChannel, message),
    async close() {
      await built?.stop();
      await worker?.stop();
      await publisher.close();
      await api.stop();
      await infra.close();
    },
  };
}

/** A fresh event envelope for `accountId` with a run-unique id. */
export function newEvent(accountId: string, type = 'NEW_MESSAGE_FROM_VISITOR', data: Record<string, unknown> = { text: 'hello' }) {
  return {
    id: `evt-${process.env.TEST_RUN_ID}-${randomBytes(6).toString('hex')}`,
    type,
    accountId,
    occurredAt: new Date().toISOString(),
    data,
  };
}

/** Workflow ids started for an account (visibility is eventually consistent: poll, or use describe()). */
export async function workflowIdsForAccount(temporal: Client, accountId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of temporal.workflow.list({ query: `WebhookAccountId = "${accountId}"` })) {
    ids.push(execution.workflowId);
  }
  return ids.sort();
}
