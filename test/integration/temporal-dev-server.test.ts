import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { readTemporalDevConfig } from '../../tools/dev/temporal-dev-config';
import { startTemporalDevServer, type RunningDevServer } from '../../tools/dev/temporal-dev-server';
import { freePort } from '../helpers/free-port';

/** The dev server the `npm run dev` command starts, with temporal-dev.yaml's settings on free ports. */
async function startDevServerWithFile(dbFilename: string, port: number): Promise<RunningDevServer> {
  return startTemporalDevServer({
    config: { port, httpPort: await freePort(), metricsPort: await freePort(), dbFilename, logLevel: 'error' },
    headless: true,
    logFile: path.join(path.dirname(dbFilename), 'temporal.log'),
  });
}

describe('the Temporal dev server from temporal-dev.yaml', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'webhooks-temporal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('registers every search attribute declared in temporal-dev.yaml', async () => {
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({
        namespace: process.env.TEMPORAL_NAMESPACE,
      });
      const declared = readTemporalDevConfig().searchAttributes;
      expect(Object.keys(declared).length).toBe(5);
      for (const name of Object.keys(declared)) {
        expect(customAttributes).toHaveProperty(name);
      }
    } finally {
      await connection.close();
    }
  });

  it('sets the namespace retention declared in temporal-dev.yaml (the dev server itself creates 24 h)', async () => {
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
    try {
      const { config } = await connection.workflowService.describeNamespace({ namespace: process.env.TEMPORAL_NAMESPACE });
      const seconds = Number(config?.workflowExecutionRetentionTtl?.seconds ?? 0);
      expect(seconds).toBe(readTemporalDevConfig().namespaceRetentionDays * 24 * 60 * 60);
    } finally {
      await connection.close();
    }
  });

  it('keeps a workflow across a restart of the dev server', async () => {
    const dbFilename = path.join(dir, 'temporal.sqlite');
    const port = await freePort();
    const workflowId = `persistence-check-${Date.now()}`;

    const first = await startDevServerWithFile(dbFilename, port);
    try {
      const connection = await Connection.connect({ address: first.address });
      const client = new Client({ connection, namespace: first.namespace });
      // No worker polls this queue: the workflow stays Running, held only by the server's storage.
      await client.workflow.start('notRegistered', { workflowId, taskQueue: `persistence-${workflowId}`, args: [] });
      await connection.close();
      // temporal-dev.yaml's journal_mode=WAL pragma is in effect: SQLite keeps a write-ahead log beside the file.
      expect(existsSync(`${dbFilename}-wal`)).toBe(true);
    } finally {
      await first.stop();
    }

    const second = await startDevServerWithFile(dbFilename, port);
    try {
      const connection = await Connection.connect({ address: second.address });
      const client = new Client({ connection, namespace: second.namespace });
      const description = await client.workflow.getHandle(workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.type).toBe('notRegistered');
      await connection.close();
    } finally {
      await second.stop();
    }
  });
});
