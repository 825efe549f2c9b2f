/**
 * The burst phase: N events for an account with M subscriptions published at once (N x M deliveries), through the
 * engine's production processes, against a FILE-backed Temporal dev server configured exactly as `npm run dev`
 * configures it (temporal-dev.yaml: SQLite file with its pragmas, dynamic config, search attributes), its file in
 * the run's log directory. Reports the drain (first publish to last receipt) and its rate, loss and duplicates per
 * (event, subscription), and per successful delivery: history events, workflow tasks, billable actions (a history
 * sample) and frontend RPCs (the server's counters), plus CPU per process group. With --temporal=cluster the burst
 * runs on the run's cluster instead (the cluster is what production runs; it has no file-backed variant).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { readTemporalDevConfig, startDevArgs } from '../tools/dev/temporal-dev-config';
import { startTemporalDevServer, temporalCliPath } from '../tools/dev/temporal-dev-server';
import { createSecretBox } from '../src/crypto/secret-box';
import { sealNewSecret } from '../src/subscriptions/signing-secrets';
import { createSubscriptionRepository } from '../src/subscriptions/subscription.repository';
import { deliveryWorkflowId } from '../src/temporal/contract';
import { freePort } from '../test/helpers/free-port';
import { track } from './children';
import type { BenchEnvironment } from './environment';
import type { TemporalTarget } from './temporal-target';
import { waitForReceipts } from './phases';
import { ProcMonitor, withDescendants } from './proc-monitor';
import { benchEnvelope } from './publisher';
import type { ReceiverHandle } from './receiver-client';
import { SYSTEMS } from './systems';
import { perDelivery, scrapeTemporalCounters, type TemporalRequests } from './temporal-metrics';
import { sampleHistories, type HistorySample } from './temporal-history';

export interface BurstPlan {
  events: number;
  subscriptions: number;
  drainTimeoutMs: number;
}

export interface BurstResult {
  plan: BurstPlan;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  badSignatures: number;
  /** First publish to last receipt. */
  drainMs: number;
  ratePerSecond: number;
  /** Delivery rows recorded SUCCESS for the burst's events. */
  recordedSuccess: number;
  cpuSeconds: Record<string, number>;
  ownGroups: string[];
  history?: HistorySample;
  temporalRequests?: TemporalRequests;
  /** Commits of Temporal's own Postgres databases per delivery (cluster only). */
  temporalCommits?: number;
  /** Where it ran: 'dev' (a file-backed dev server of its own) or 'cluster' (the run's cluster). */
  temporalKind: TemporalTarget['kind'];
  /** The file-backed dev server's command line (or the cluster's service command). */
  temporalCommand: string;
  error?: string;
}

/** A file-backed dev server as `npm run dev` runs it, its file in the run's log directory. */
async function startFileBackedServer(env: BenchEnvironment): Promise<TemporalTarget> {
  const [port, uiPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const dbFilename = path.join(env.logDir, 'burst-temporal', 'temporal.sqlite');
  const overrides = { port, uiPort, httpPort, metricsPort, dbFilename, logLevel: 'error' };
  const server = await startTemporalDevServer({ config: overrides, headless: true, logFile: path.join(env.logDir, 'burst-temporal.log') });
  track(server.process);
  return {
    kind: 'dev',
    temporal: server,
    command: [temporalCliPath(), ...startDevArgs({ ...readTemporalDevConfig(), ...overrides }, { headless: true })].join(' '),
    groups: [['temporal-server', () => withDescendants(server.process.pid as number)]],
    metricsUrls: { server: `http://127.0.0.1:${metricsPort}/metrics` },
    stop: () => server.stop(),
  };
}

export async function runBurst(
  env: BenchEnvironment,
  receiver: ReceiverHandle,
  plan: BurstPlan,
  log: (line: string) => void,
  engineLayout: 'embedded' | 'separate' = 'embedded',
  workers = 1,
): Promise<BurstResult> {
  const onCluster = env.temporalKind === 'cluster';
  const expected = plan.events * plan.subscriptions;
  const result: BurstResult = {
    plan,
    expected,
    delivered: 0,
    lost: expected,
    duplicates: 0,
    badSignatures: 0,
    drainMs: Number.NaN,
    ratePerSecond: 0,
    recordedSuccess: 0,
    cpuSeconds: {},
    ownGroups: [],
    temporalKind: env.temporalKind,
    temporalCommand: env.temporalCommand,
  };
  log(
    `\n== burst: ${plan.events} events x ${plan.subscriptions} subscriptions, ${onCluster ? "on the run's cluster" : 'file-backed dev server (burst-temporal/ in the log directory)'}`,
  );
  const target: TemporalTarget = onCluster
    ? {
        kind: 'cluster',
        temporal: env.temporal,
        command: env.temporalCommand,
        groups: env.temporalGroups,
        metricsUrls: env.temporalMetricsUrls,
        databaseCommits: env.temporalDatabaseCommits,
        stop: async () => undefined,
      }
    : await startFileBackedServer(env);
  result.temporalCommand = target.command;
  const server = target.temporal;
  const monitor = new ProcMonitor();
  try {
    // One account with M subscriptions to the receiver, /hook/b0 ... so each (event, subscription) is counted apart.
    const accountId = `bench-${env.runId}-burst`;
    const box = createSecretBox(Buffer.from(env.encryptionKey, 'base64'));
    const subscriptions = createSubscriptionRepository(env.dataSource);
    const subscriptionIds: string[] = [];
    for (let k = 0; k < plan.subscriptions; k += 1) {
      const id = randomUUID();
      subscriptionIds.push(id);
      await subscriptions.insert({
        id,
        accountId,
        url: new URL(`/hook/b${k}`, receiver.url).toString(),
        events: ['*'],
        description: `benchmark burst ${k}`,
        isActive: true,
        secrets: [sealNewSecret(box, id, env.signingSecret, new Date())],
      });
    }

    const channel = `bench:${env.runId}:burst`;
    const running = await SYSTEMS.engine.start({
      env: { ...env, temporal: server },
      channel,
      workerNodeArgs: [],
      receiverUrl: receiver.url,
      engineLayout,
      workers,
    });
    try {
      result.ownGroups = running.processes.map((c) => c.name);
      for (const child of running.processes) monitor.add(child.name, () => (child.exited() ? [] : [child.pid]));
      for (const [name, source] of target.groups) monitor.add(name, source);
      monitor.add('postgres-backends', () => env.postgresBackendPids());
      monitor.add('redis-server', () => env.redisServerPids());
      monitor.start(500);

      // Ready when a probe arrives (the listener subscribed and its worker runs).
      const deadline = Date.now() + 180_000;
      for (let probe = 0; ; probe += 1) {
        await env.redis.publish(channel, benchEnvelope(`${env.runId}-burst-probe${probe}-0`, accountId, Date.now(), 0));
        if ((await waitForReceipts(receiver, `${env.runId}-burst-probe`, 1, 1_000)) > 0) break;
        if (Date.now() > deadline) throw new Error('the engine delivered no burst probe within 180 s');
      }
      log('  ready (a probe was delivered)');

      const prefix = `${env.runId}-burst-x`;
      const before = await monitor.snapshot();
      const countersBefore = await scrapeTemporalCounters(target.metricsUrls);
      const commitsBefore = await target.databaseCommits?.();
      const startedAt = Date.now();
      const batch = env.redis.pipeline();
      for (let seq = 0; seq < plan.events; seq += 1) batch.publish(channel, benchEnvelope(`${prefix}-${seq}`, accountId, startedAt, seq));
      await batch.exec();
      await waitForReceipts(receiver, `${prefix}-`, expected, plan.drainTimeoutMs);
      const collected = await receiver.collect(`${prefix}-`);
      const after = await monitor.snapshot();
      const countersAfter = await scrapeTemporalCounters(target.metricsUrls);
      const commitsAfter = await target.databaseCommits?.();

      const lastReceipt = Math.max(startedAt, ...collected.events.flatMap(([, , at]) => at));
      result.delivered = collected.events.length;
      result.lost = expected - collected.events.length;
      result.duplicates = collected.events.reduce((n, [, , at]) => n + Math.max(0, at.length - 1), 0);
      result.badSignatures = collected.badSignatures;
      result.drainMs = lastReceipt - startedAt;
      result.ratePerSecond = result.drainMs > 0 ? (result.delivered * 1000) / result.drainMs : 0;
      result.cpuSeconds = ProcMonitor.cpuSecondsBetween(before, after);
      result.temporalRequests = perDelivery(countersBefore, countersAfter, Math.max(1, result.delivered));
      if (commitsBefore !== undefined && commitsAfter !== undefined)
        result.temporalCommits = (commitsAfter - commitsBefore) / Math.max(1, result.delivered);
      log(
        `  drained ${result.delivered}/${expected} in ${(result.drainMs / 1000).toFixed(1)} s: ${result.ratePerSecond.toFixed(1)}/s, ` +
          `lost ${result.lost} dup ${result.duplicates}`,
      );

      const rows: Array<{ n: string }> = await env.dataSource.query(
        `SELECT count(*) AS n FROM webhook_deliveries WHERE event_id LIKE $1 AND status = 'SUCCESS'`,
        [`${prefix}-%`],
      );
      result.recordedSuccess = Number(rows[0]?.n ?? 0);
      const ids: string[] = [];
      const step = Math.max(1, Math.floor(plan.events / 20));
      for (let seq = 0; seq < plan.events && ids.length < 20; seq += step) {
        ids.push(deliveryWorkflowId(`${prefix}-${seq}`, subscriptionIds[ids.length % subscriptionIds.length] as string));
      }
      result.history = await sampleHistories(server.address, server.namespace, ids).catch(() => undefined);
    } finally {
      monitor.stop();
      await running.stop();
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`  burst failed: ${result.error} (logs in ${env.logDir})`);
  } finally {
    await target.stop();
  }
  return result;
}
