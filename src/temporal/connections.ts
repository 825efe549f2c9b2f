/**
 * The one place Temporal connections are made, from config: the client's `Connection` (eager or lazy) and the
 * worker's `NativeConnection`. Every process, tool and test asks this factory, so TLS, the API key, gRPC headers and
 * the reconnect backoff are the same everywhere. Callers own what they get and close it on shutdown (one client per
 * process, never a connection per request).
 */
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';
import { activeTracing } from '../tracing';
import { clientConnectionOptions, nativeConnectionOptions } from './connection-options';

export interface TemporalClientHandle {
  readonly connection: Connection;
  readonly client: Client;
  close(): Promise<void>;
}

export interface TemporalConnections {
  /**
   * A client on a lazy connection: the process starts (and serves, stores events) while Temporal is unreachable,
   * and gRPC reconnects by itself, its backoff capped at 5 s (gRPC's default cap is 2 minutes) so that work resumes
   * soon after Temporal is back.
   */
  lazyClient(): TemporalClientHandle;
  /** A client connected now: fails when Temporal is unreachable. */
  connectClient(): Promise<TemporalClientHandle>;
  /** A worker's connection, in the SDK's core. */
  connectWorker(): Promise<NativeConnection>;
}

const RECONNECT_BACKOFF = {
  'grpc.initial_reconnect_backoff_ms': 500,
  'grpc.min_reconnect_backoff_ms': 500,
  'grpc.max_reconnect_backoff_ms': 5_000,
};

export function temporalConnections(config: Pick<Config, 'temporal'>): TemporalConnections {
  const handle = (connection: Connection): TemporalClientHandle => ({
    connection,
    client: new Client({ connection, namespace: config.temporal.namespace, interceptors: activeTracing()?.clientInterceptors() }),
    close: () => connection.close(),
  });
  return {
    lazyClient: () => handle(Connection.lazy(clientConnectionOptions(config.temporal, { channelArgs: RECONNECT_BACKOFF }))),
    connectClient: async () => handle(await Connection.connect(clientConnectionOptions(config.temporal))),
    connectWorker: () => {
      // Required here, not imported at the top: the API process never loads the SDK's native core.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load that `import` cannot express synchronously
      const { NativeConnection } = require('@temporalio/worker') as typeof import('@temporalio/worker');
      return NativeConnection.connect(nativeConnectionOptions(config.temporal));
    },
  };
}

/** Shorthand for tools and tests: a client connected now. */
export function connectTemporalClient(config: Pick<Config, 'temporal'>): Promise<TemporalClientHandle> {
  return temporalConnections(config).connectClient();
}

/** Shorthand for tools and tests: a worker's connection. */
export function connectWorker(config: Pick<Config, 'temporal'>): Promise<NativeConnection> {
  return temporalConnections(config).connectWorker();
}
