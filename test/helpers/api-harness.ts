import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/api/app';
import { createDeliveriesRouter } from '../../src/api/deliveries.router';
import { createDeliveryReadRepository } from '../../src/deliveries/delivery-read.repository';
import { createSubscriptionRepository } from '../../src/subscriptions/subscription.repository';
import { createSsrfUrlGuard } from '../../src/api/url-guard';
import { loadConfig, requireEncryptionKey } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import type { Resolver } from '../../src/http/ssrf';
import { createApiKeyRepository, type ApiKeyRepository } from '../../src/keys/api-key.repository';
import { createLogger, type Logger } from '../../src/logger';

/** Host names the stub resolver knows: one public, one that resolves to a private address. */
export const PUBLIC_HOST = 'hooks.example.com';
export const PRIVATE_HOST = 'internal.example.com';

export const stubResolver: Resolver = async (hostname) => {
  if (hostname === PUBLIC_HOST) return [{ address: '93.184.216.34', family: 4 }];
  if (hostname === PRIVATE_HOST) return [{ address: '10.0.0.5', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
};

/** A test clock that only moves when told to. */
export interface ManualClock {
  now: () => Date;
  advance(ms: number): void;
}

export function manualClock(start = Date.UTC(2030, 0, 1, 12, 0, 0)): ManualClock {
  let at = start;
  return { now: () => new Date(at), advance: (ms) => (at += ms) };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body (undefined for an empty body). */
  body: any;
  text: string;
}

export interface RequestOptions {
  key?: string | null;
  body?: unknown;
  /** Sent as-is with Content-Type: application/json (for malformed or oversized bodies). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface ApiHarness {
  baseUrl: string;
  dataSource: DataSource;
  secretBox: SecretBox;
  keys: ApiKeyRepository;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** A fresh account id (unique per run) with a key for it. */
  newAccount(label?: string): Promise<{ accountId: string; key: string; keyId: string }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  now?: () => Date;
  /** The app's logger (default: one at LOG_LEVEL on stdout). */
  logger?: Logger;
  /**
   * Mount the delivery routes on the real read repository, with stand-ins for what needs Temporal: a retry always
   * finds its delivery running, a test event is acknowledged without being sent.
   */
  deliveries?: boolean;
}

/** The real app on 127.0.0.1:0 against the run's Postgres; the real SSRF guard allowing 127.0.0.1/32 only. */
export async function startApiHarness(options: HarnessOptions = {}): Promise<ApiHarness> {
  const config = loadConfig({ ...process.env, ...options.env });
  const dataSource = createDataSource(config.databaseUrl, { poolSize: 4 });
  await dataSource.initialize();
  const secretBox = createSecretBox(requireEncryptionKey(config));
  const app = createApp({
    dataSource,
    config,
    logger: options.logger ?? createLogger('api-test', config.logLevel),
    secretBox,
    urlGuard: createSsrfUrlGuard({ requireHttps: false, allowCidrs: ['127.0.0.1/32'], resolver: stubResolver }),
    readiness: async () => ({ ok: true, checks: { postgres: { ok: true } } }),
    now: options.now,
    deliveries: options.deliveries
      ? createDeliveriesRouter({
          deliveries: createDeliveryReadRepository(dataSource),
          findSubscription: (accountId, id) => createSubscriptionRepository(dataSource).findForAccount(accountId, id),
          redeliver: async () => ({ outcome: 'running' }),
          sendTestEvent: async () => ({ eventId: 'test_stand-in', deliveryId: '00000000-0000-4000-8000-000000000000' }),
          now: options.now,
        })
      : undefined,
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keys = createApiKeyRepository(dataSource, options.now);

  return {
    baseUrl,
    dataSource,
    secretBox,
    keys,
    async request(method, path, { key, body, rawBody, headers = {} } = {}) {
      const sent: Record<string, string> = { ...headers };
      if (key) sent.authorization = `Bearer ${key}`;
      let payload: string | undefined;
      if (rawBody !== undefined || body !== undefined) {
        sent['content-type'] ??= 'application/json';
        payload = rawBody ?? JSON.stringify(body);
      }
      const response = await fetch(`${baseUrl}${path}`, { method, headers: sent, body: payload });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
    },
    async newAccount(label = 'acct') {
      const accountId = `${label}-${process.env.TEST_RUN_ID}-${randomBytes(4).toString('hex')}`;
      const created = await keys.create(accountId);
      return { accountId, key: created.key, keyId: created.id };
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}

export async function countSubscriptions(dataSource: DataSource, accountId: string): Promise<number> {
  const [row] = await dataSource.query('SELECT count(*)::int AS n FROM webhook_subscriptions WHERE account_id = $1', [accountId]);
  return row.n;
}
