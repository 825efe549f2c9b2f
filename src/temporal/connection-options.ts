/**
 * The options every Temporal connection of the engine is built from: the client's `Connection` (API, listener,
 * worker's own client) and the worker's `NativeConnection` (worker, the listener's embedded worker). Pure: the
 * same settings always give the same options, so a test can check that TLS, the API key and gRPC headers from
 * Temporal's environment configuration reach both kinds of connection.
 */
import type { ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalConnectionSettings } from './environment-config';

type Common = { address: string; tls: NonNullable<ConnectionOptions['tls']>; apiKey?: string; metadata?: Record<string, string> };

function common(settings: TemporalConnectionSettings): Common {
  const tls = settings.tls
    ? {
        serverNameOverride: settings.tls.serverName,
        serverRootCACertificate: settings.tls.serverRootCaCertificate,
        clientCertPair: settings.tls.clientCertPair ? { ...settings.tls.clientCertPair } : undefined,
      }
    : // Explicitly off: the SDK turns TLS on by itself when an API key is given and `tls` is left undefined.
      false;
  return {
    address: settings.address,
    tls,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    ...(settings.grpcMetadata ? { metadata: { ...settings.grpcMetadata } } : {}),
  };
}

/** Options of the client's `Connection.connect()` / `Connection.lazy()`; `extra` adds gRPC channel arguments and timeouts. */
export function clientConnectionOptions(
  settings: TemporalConnectionSettings,
  extra: Pick<ConnectionOptions, 'channelArgs' | 'connectTimeout'> = {},
): ConnectionOptions {
  return { ...common(settings), ...extra };
}

/** Options of the worker's `NativeConnection.connect()`. */
export function nativeConnectionOptions(settings: TemporalConnectionSettings): NativeConnectionOptions {
  return common(settings);
}
