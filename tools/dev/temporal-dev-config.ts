import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export interface TemporalDevConfig {
  namespace: string;
  ip: string;
  port: number;
  uiPort: number;
  /** HTTP API and metrics ports; the CLI picks defaults when absent. */
  httpPort?: number;
  metricsPort?: number;
  /** Absolute path, or null for an in-memory server. */
  dbFilename: string | null;
  logLevel: string;
  searchAttributes: Record<string, string>;
  /** Dynamic config values (`--dynamic-config-value KEY=VALUE`, VALUE as YAML/JSON); empty when absent. */
  dynamicConfig: Record<string, string | number | boolean>;
  /**
   * How long the namespace keeps closed workflows (their histories in the UI), in days. The dev server creates its
   * namespace with 24 h; the dev command sets this after start. Equal to WEBHOOKS_RETENTION_DAYS' default, so a
   * delivery's workflow is kept as long as its rows in Postgres.
   */
  namespaceRetentionDays: number;
  /** SQLite pragmas (`--sqlite-pragma NAME=VALUE`) for a file-backed server; not passed to an in-memory one. */
  sqlitePragmas: Record<string, string>;
}

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const TEMPORAL_DEV_YAML = path.join(PROJECT_ROOT, 'temporal-dev.yaml');

/** Reads temporal-dev.yaml: the one declaration of the dev server's namespace, ports, storage and search attributes. */
export function readTemporalDevConfig(file = TEMPORAL_DEV_YAML): TemporalDevConfig {
  const raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const need = (key: string) => {
    if (raw[key] === undefined || raw[key] === null) throw new Error(`${file}: "${key}" is required`);
    return raw[key];
  };
  const attributes = need('searchAttributes') as Record<string, string>;
  for (const [name, type] of Object.entries(attributes)) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || typeof type !== 'string') {
      throw new Error(`${file}: search attribute ${name}: ${String(type)} is not valid`);
    }
  }
  const dynamicConfig = (raw.dynamicConfig ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(dynamicConfig)) {
    if (!/^[A-Za-z][A-Za-z0-9_.]*$/.test(key) || !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new Error(`${file}: dynamic config ${key}: ${String(value)} is not valid`);
    }
  }
  const sqlitePragmas = (raw.sqlitePragmas ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(sqlitePragmas)) {
    if (!/^[a-z_]+$/.test(name) || !/^[A-Za-z0-9_]+$/.test(String(value))) {
      throw new Error(`${file}: sqlite pragma ${name}: ${String(value)} is not valid`);
    }
  }
  const dbFilename = raw.dbFilename ? path.resolve(PROJECT_ROOT, scalarText(raw.dbFilename)) : null;
  return {
    namespace: scalarText(need('namespace')),
    ip: scalarText(need('ip')),
    port: Number(need('port')),
    uiPort: Number(need('uiPort')),
    httpPort: raw.httpPort === undefined ? undefined : Number(raw.httpPort),
    metricsPort: raw.metricsPort === undefined ? undefined : Number(raw.metricsPort),
    dbFilename,
    logLevel: scalarText(raw.logLevel ?? 'warn'),
    searchAttributes: attributes,
    dynamicConfig: dynamicConfig as Record<string, string | number | boolean>,
    namespaceRetentionDays: retentionDaysOf(file, raw.namespaceRetentionDays ?? 1),
    sqlitePragmas: Object.fromEntries(Object.entries(sqlitePragmas).map(([name, value]) => [name, String(value)])),
  };
}

function retentionDaysOf(file: string, value: unknown): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error(`${file}: namespaceRetentionDays must be 1-3650 days`);
  return days;
}

/** Arguments for `temporal server start-dev` from the config. `headless` drops the Web UI. */
export function startDevArgs(config: TemporalDevConfig, options: { headless?: boolean } = {}): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    config.ip,
    '--port',
    String(config.port),
    '--namespace',
    config.namespace,
    '--log-level',
    config.logLevel,
  ];
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(config.uiPort));
  if (config.httpPort) args.push('--http-port', String(config.httpPort));
  if (config.metricsPort) args.push('--metrics-port', String(config.metricsPort));
  if (config.dbFilename) {
    args.push('--db-filename', config.dbFilename);
    for (const [name, value] of Object.entries(config.sqlitePragmas ?? {})) args.push('--sqlite-pragma', `${name}=${value}`);
  }
  for (const [name, type] of Object.entries(config.searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(config.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return args;
}

/** A YAML scalar as text; anything else (a mapping, a list) as JSON, so that a wrong value is visible as it is. */
function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}
