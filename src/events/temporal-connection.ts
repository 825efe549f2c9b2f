import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { clientConnectionOptions } from '../temporal/connection-options';

/**
 * The listener's Temporal client. The connection is lazy: the listener starts (and stores events) while Temporal
 * is unreachable, and gRPC reconnects by itself; the reconnect backoff is capped at 5 s (gRPC's default cap is
 * 2 minutes) so that deliveries resume soon after Temporal is back.
 */
export function createListenerTemporalClient(config: Pick<Config, 'temporal'>): { connection: Connection; client: Client } {
  const connection = Connection.lazy(
    clientConnectionOptions(config.temporal, {
      channelArgs: {
        'grpc.initial_reconnect_backoff_ms': 500,
        'grpc.min_reconnect_backoff_ms': 500,
        'grpc.max_reconnect_backoff_ms': 5_000,
      },
    }),
  );
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return { connection, client };
}
