/**
 * What tests that call sendWebhook directly (Temporal's MockActivityEnvironment) share: a config that allows receivers
 * on 127.0.0.1 with a 3 s request timeout and one request in flight per endpoint, a real Postgres data source, and the
 * secret box of fixtures. Close the data source in `afterAll`.
 */
import type { DataSource } from 'typeorm';
import { loadConfig, requireEncryptionKey, type Config } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';

export interface ActivityWorld {
  readonly config: Config;
  readonly dataSource: DataSource;
  readonly box: SecretBox;
}

export async function openActivityWorld(): Promise<ActivityWorld> {
  const config = loadConfig({
    ...process.env,
    SSRF_ALLOW_CIDRS: '127.0.0.1/32',
    WEBHOOKS_REQUEST_TIMEOUT_MS: '3000',
    WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT: '1',
  });
  const dataSource = createDataSource(config.databaseUrl, { poolSize: 4 });
  await dataSource.initialize();
  return { config, dataSource, box: createSecretBox(requireEncryptionKey(config)) };
}
