/**
 * One Temporal connection and client per process, from config. Callers keep the pair for the process lifetime and
 * close the connection on shutdown (never a connection per request).
 */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { clientConnectionOptions } from './connection-options';

export interface TemporalClientHandle {
  readonly connection: Connection;
  readonly client: Client;
  close(): Promise<void>;
}

export async function connectTemporalClient(config: Pick<Config, 'temporal'>): Promise<TemporalClientHandle> {
  const connection = await Connection.connect(clientConnectionOptions(config.temporal));
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return { connection, client, close: () => connection.close() };
}
