import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, describeConfig, loadConfig } from '../../src/config';
import { clientConnectionOptions, nativeConnectionOptions } from '../../src/temporal/connection-options';

const dir = mkdtempSync(path.join(tmpdir(), 'temporal-envconfig-'));
const file = (name: string, content: string) => {
  const at = path.join(dir, name);
  writeFileSync(at, content);
  return at;
};
const caPath = file('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
const certPath = file('client.pem', '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
const keyPath = file('client.key', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
const API_KEY = 'tcld-key-7f3a9c';

describe('Temporal connection options from the environment configuration', () => {
  it('keeps the defaults: plaintext to 127.0.0.1:7233, namespace default, no credentials', () => {
    const { temporal } = loadConfig({});
    expect(temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'webhooks-queue' });
    expect(clientConnectionOptions(temporal)).toEqual({ address: '127.0.0.1:7233', tls: false });
    expect(nativeConnectionOptions(temporal)).toEqual({ address: '127.0.0.1:7233', tls: false });
  });

  it('sends an API key over TLS with the system roots (Temporal Cloud), to both kinds of connection', () => {
    const { temporal } = loadConfig({
      TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233',
      TEMPORAL_NAMESPACE: 'webhooks.a1b2c',
      TEMPORAL_API_KEY: API_KEY,
    });
    expect(temporal.namespace).toBe('webhooks.a1b2c');
    for (const options of [clientConnectionOptions(temporal), nativeConnectionOptions(temporal)]) {
      expect(options.address).toBe('eu-west-1.aws.api.temporal.io:7233');
      expect(options.apiKey).toBe(API_KEY);
      expect(options.tls).toEqual({ serverNameOverride: undefined, serverRootCACertificate: undefined, clientCertPair: undefined });
    }
  });

  it('keeps an API key in plaintext only when TEMPORAL_TLS=false says so', () => {
    const { temporal } = loadConfig({ TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' });
    expect(clientConnectionOptions(temporal)).toEqual({ address: '127.0.0.1:7233', tls: false, apiKey: API_KEY });
    expect(nativeConnectionOptions(temporal).tls).toBe(false);
  });

  it('reads mTLS certificate, key, CA and server name from TEMPORAL_TLS_* paths into Buffers', () => {
    const { temporal } = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: certPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: caPath,
      TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal.internal',
    });
    for (const options of [clientConnectionOptions(temporal), nativeConnectionOptions(temporal)]) {
      const tls = options.tls as {
        serverNameOverride: string;
        serverRootCACertificate: Buffer;
        clientCertPair: { crt: Buffer; key: Buffer };
      };
      expect(tls.serverNameOverride).toBe('frontend.temporal.internal');
      expect(Buffer.isBuffer(tls.serverRootCACertificate)).toBe(true);
      expect(tls.serverRootCACertificate.toString()).toContain('\nca\n');
      expect(tls.clientCertPair.crt.toString()).toContain('\nclient\n');
      expect(tls.clientCertPair.key.toString()).toContain('\nkey\n');
      expect(options.apiKey).toBeUndefined();
    }
  });

  it('takes certificate data inline (TEMPORAL_TLS_*_DATA) and gRPC headers from TEMPORAL_GRPC_META_*', () => {
    const { temporal } = loadConfig({
      TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT-PEM',
      TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY-PEM',
      TEMPORAL_GRPC_META_X_TENANT: 'acme',
    });
    const options = clientConnectionOptions(temporal, { connectTimeout: 1_000 });
    expect((options.tls as unknown as { clientCertPair: { crt: Buffer } }).clientCertPair.crt.toString()).toBe('CERT-PEM');
    expect(options.metadata).toEqual({ 'x-tenant': 'acme' });
    expect(options.connectTimeout).toBe(1_000);
    expect(nativeConnectionOptions(temporal).metadata).toEqual({ 'x-tenant': 'acme' });
  });

  it('reads a profile of the TOML config file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE); variables override it', () => {
    const toml = file(
      'temporal.toml',
      [
        '[profile.default]',
        'address = "127.0.0.1:7233"',
        '',
        '[profile.cloud]',
        'address = "webhooks.a1b2c.tmprl.cloud:7233"',
        'namespace = "webhooks.a1b2c"',
        '[profile.cloud.tls]',
        `client_cert_path = "${certPath}"`,
        `client_key_path = "${keyPath}"`,
      ].join('\n'),
    );
    const cloud = loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud' }).temporal;
    expect(cloud).toMatchObject({ address: 'webhooks.a1b2c.tmprl.cloud:7233', namespace: 'webhooks.a1b2c', profile: 'cloud' });
    expect(nativeConnectionOptions(cloud).tls).toMatchObject({ clientCertPair: { crt: expect.any(Buffer) } });

    const overridden = loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud', TEMPORAL_NAMESPACE: 'staging.a1b2c' }).temporal;
    expect(overridden.namespace).toBe('staging.a1b2c');
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: toml }).temporal.address).toBe('127.0.0.1:7233');
  });

  it('reads the default file location under XDG_CONFIG_HOME, as the Temporal CLI does', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'xdg-'));
    mkdirSync(path.join(home, 'temporalio'));
    writeFileSync(path.join(home, 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "10.1.2.3:7233"\nnamespace = "webhooks"\n');
    expect(loadConfig({ XDG_CONFIG_HOME: home }).temporal).toMatchObject({ address: '10.1.2.3:7233', namespace: 'webhooks' });
  });

  it.each([
    [{ TEMPORAL_PROFILE: 'missing', TEMPORAL_CONFIG_FILE: path.join(dir, 'none.toml') }, /TEMPORAL_PROFILE/],
    [
      { TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'absent.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath },
      /TEMPORAL_TLS_\*_PATH.*ENOENT/,
    ],
    [{ TEMPORAL_TLS_CLIENT_CERT_PATH: certPath }, /give both or neither/],
    [{ TEMPORAL_TLS: 'yes' }, /TEMPORAL_TLS/],
    [{ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' }, /TEMPORAL_TLS_DISABLE_HOST_VERIFICATION/],
  ])('fails fast on %j', (env, message) => {
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(ConfigError);
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(message);
  });

  it('describes the connection without the API key or key material', () => {
    const config = loadConfig({
      TEMPORAL_API_KEY: API_KEY,
      TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT-PEM-SECRETISH',
      TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY-PEM-SECRETISH',
    });
    const described = JSON.stringify(describeConfig(config));
    expect(described).not.toContain(API_KEY);
    expect(described).not.toContain('SECRETISH');
    expect(describeConfig(config).temporal).toMatchObject({ apiKey: 'set', tls: { clientCertificate: 'set' } });
  });
});
