/**
 * Ordered delivery through faults, each injected once the lanes are in the middle (some keys have some but not all of
 * their events answered 2xx): the listener process that hosts the embedded worker SIGKILLed (a new one of the same
 * group claims what it held), a worker process SIGKILLed (another takes over its workflows), and a restart of a
 * private Temporal dev server kept in a file. Every time: every event is answered 2xx, every key in publish order,
 * one request of a key at a time, no event answered twice (unless its 2xx never got recorded because the process
 * that sent it was killed: delivery is at least once), one webhook-id per event, every delivery SUCCESS and its turn
 * passed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '../../src/app/migrate';
import { dropDatabase } from '../../src/db/ensure-database';
import { startTemporalDevServer, type RunningDevServer } from '../../tools/dev/temporal-dev-server';
import { spawnEngineProcess, type EngineProcess } from '../helpers/engine-processes';
import { SHORT_RETRY_ENV, startEngine, testConfig, waitFor, type Engine, type TestConfig } from '../helpers/engine';
import { freePort } from '../helpers/free-port';
import { expectRepeatsOnlyOfUnrecordedAnswers, laneEvents, startLaneReceiver, type LaneReceiver } from '../helpers/lane-receiver';
import { spawnListener } from '../helpers/listener-process';
import { createStreamPublisher, pendingOf, type StreamPublisher } from '../helpers/redis';

jest.setTimeout(240_000);

const KEYS = 30;
const PER_KEY = 10;
const CLAIM_IDLE_MS = 1_000;
/** Lane re-checks every 2 s; attempts time out after 2 s, so a killed attempt's claim ends within seconds. */
const LANE_ENV = {
  WEBHOOKS_LANE_RECHECK_MS: '2000',
  WEBHOOKS_REQUEST_TIMEOUT_MS: '2000',
  WEBHOOKS_STREAM_CLAIM_IDLE_MS: String(CLAIM_IDLE_MS),
};

/**
 * The environment of an engine process on the case's stream, group, task queue, Temporal and database. The listener
 * starts the workflows: the retry policy and the lane re-check come from its environment.
 */
function processEnv(config: TestConfig): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    WEBHOOKS_REDIS_CHANNEL: '',
    WEBHOOKS_REDIS_STREAM: config.redisStream.key,
    WEBHOOKS_REDIS_GROUP: config.redisStream.group,
    WEBHOOKS_STREAM_BLOCK_MS: '500',
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    SSRF_ALLOW_CIDRS: '127.0.0.1/32',
    LOG_LEVEL: 'info',
    ...SHORT_RETRY_ENV,
    ...LANE_ENV,
  };
}

type LaneEvent = ReturnType<typeof laneEvents>[number];

interface Lanes {
  readonly subscriptionId: string;
  readonly keys: string[];
  readonly events: LaneEvent[];
  readonly receiver: LaneReceiver;
}

/** An ordered subscription to a lane receiver, and KEYS x PER_KEY events for it (not published yet). */
async function orderedLanes(engine: Engine, label: string): Promise<Lanes> {
  // Answers after 0-150 ms, fails a fifth of first attempts (each then retried in its place).
  const receiver = await startLaneReceiver({ maxDelayMs: 150, failFirstAttempts: 0.2 });
  const { accountId, key } = await engine.newAccount(label);
  const created = await engine.request('POST', '/webhooks/subscriptions', key, { url: receiver.url, events: ['*'], ordered: true });
  expect(created.status).toBe(201);
  const keys = Array.from({ length: KEYS }, (_, i) => `${label}-${i}-${randomBytes(3).toString('hex')}`);
  let n = 0;
  const events = laneEvents(
    accountId,
    keys,
    PER_KEY,
    () => `evt-${process.env.TEST_RUN_ID}-${label}-${(n += 1)}-${randomBytes(4).toString('hex')}`,
  );
  return { subscriptionId: created.body.id as string, keys, events, receiver };
}

/** Keys with some but not all of their events answered 2xx. */
function midway(lanes: Lanes): number {
  return lanes.keys.filter((k) => {
    const done = lanes.receiver.successOrder(k).length;
    return done > 0 && done < PER_KEY;
  }).length;
}

/** Waits until a quarter of the events are answered and a third of the lanes are in the middle; answers how many are. */
function lanesInTheMiddle(lanes: Lanes): Promise<number> {
  return waitFor(
    () => {
      const m = midway(lanes);
      return m >= KEYS / 3 && lanes.receiver.succeeded() >= lanes.events.length / 4 ? m : 0;
    },
    120_000,
    'lanes in the middle',
  );
}

/**
 * Waits until every event was answered 2xx and its row is SUCCESS with its turn passed; checks the lanes held.
 * Returns how many events were sent again after an answer their sender never recorded.
 */
async function expectEveryLaneInOrder(engine: Engine, lanes: Lanes): Promise<number> {
  const { receiver, events, keys, subscriptionId } = lanes;
  await waitFor(() => receiver.succeeded() === events.length, 180_000, `all ${events.length} events answered 2xx`);
  // Never two requests of a key at once, never one before the event ahead of it had its 2xx.
  expect(receiver.violations.filter((v) => v.kind !== 'repeat')).toEqual([]);
  const repeats = await expectRepeatsOnlyOfUnrecordedAnswers(engine.dataSource, engine.temporal, lanes.receiver, events, subscriptionId);
  for (const k of keys) expect(receiver.successOrder(k)).toEqual(Array.from({ length: PER_KEY }, (_, i) => i));
  for (const event of events) expect(receiver.webhookIdsOf(event.id).size).toBe(1);
  const counts = await waitFor(
    async () => {
      const [row] = await engine.dataSource.query(
        `SELECT count(*) FILTER (WHERE status = 'SUCCESS' AND lane_passed_at IS NOT NULL)::int AS done, count(*)::int AS total
           FROM webhook_deliveries WHERE subscription_id = $1`,
        [subscriptionId],
      );
      return row.done === events.length ? row : undefined;
    },
    30_000,
    'every delivery SUCCESS with its turn passed',
  );
  expect(counts).toEqual({ done: events.length, total: events.length });
  return repeats;
}

/** SIGKILL; resolves once the process is gone. */
async function kill(processToKill: EngineProcess): Promise<void> {
  const exited = new Promise((resolve) => processToKill.child.once('exit', resolve));
  processToKill.child.kill('SIGKILL');
  await exited;
}

/** One line per case in the test output: what the fault met and what it took. */
function report(label: string, lanes: Lanes, facts: Record<string, number>): void {
  const parts = Object.entries(facts).map(([name, value]) => `${name} ${value}`);
  process.stdout.write(
    `${label}: ${KEYS} keys x ${PER_KEY} events, ${parts.join(', ')}, ` +
      `${lanes.receiver.failedFirstAttempts()} first attempts failed on purpose, ${lanes.receiver.abandoned()} answers found no sender\n`,
  );
}

describe('ordered delivery through faults', () => {
  const processes: EngineProcess[] = [];
  const receivers: LaneReceiver[] = [];
  let streams: StreamPublisher;

  beforeAll(() => {
    streams = createStreamPublisher(process.env.REDIS_URL as string);
  });
  afterAll(async () => {
    await stopProcesses();
    await Promise.all(receivers.map((r) => r.close()));
    await streams?.close();
  });

  const stopProcesses = () => Promise.all(processes.splice(0).map((p) => p.stop()));
  const spawned = (p: EngineProcess) => {
    processes.push(p);
    return p;
  };
  const started = (p: EngineProcess, msg: string) => p.logLine((l) => l.msg === msg, 0, 90_000);
  const lanesFor = async (engine: Engine, label: string) => {
    const lanes = await orderedLanes(engine, label);
    receivers.push(lanes.receiver);
    return lanes;
  };

  describe('the listener hosting the embedded worker, SIGKILLed', () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await startEngine(testConfig('lanes-listener-kill', LANE_ENV), { listener: false });
    });
    afterAll(async () => {
      await stopProcesses();
      await streams.redis.del(engine.config.redisStream.key);
      await engine?.close();
    });

    it('keeps every lane in order when a new listener claims its entries and runs its workflows', async () => {
      const lanes = await lanesFor(engine, 'lk');
      const { key: stream, group } = engine.config.redisStream;
      const doomed = spawned(spawnListener(processEnv(engine.config)));
      const ready = await started(doomed, 'stream reader ready');

      // The first half of every lane; once lanes are in the middle, the second half right before the kill, so that
      // the listener dies with deliveries in flight and entries in hand.
      const half = (KEYS * PER_KEY) / 2;
      await streams.addMany(stream, lanes.events.slice(0, half), 100);
      const midLanes = await lanesInTheMiddle(lanes);
      await streams.addMany(stream, lanes.events.slice(half), 100);
      await kill(doomed);
      const answered = lanes.receiver.succeeded();
      const held = (await pendingOf(streams.redis, stream, group)).consumers[String(ready.consumer)] ?? 0;

      const successor = spawned(spawnListener(processEnv(engine.config)));
      await started(successor, 'listener started');
      const repeats = await expectEveryLaneInOrder(engine, lanes);
      await waitFor(async () => (await pendingOf(streams.redis, stream, group)).count === 0, 15_000, 'nothing left pending');
      report('listener SIGKILL', lanes, {
        'lanes mid-way at the kill': midLanes,
        'answered at the kill': answered,
        'entries held': held,
        repeats,
      });
    });
  });

  describe('a worker process SIGKILLed', () => {
    let engine: Engine;
    beforeAll(async () => {
      // The engine's listener has no embedded worker: the worker processes below are the only ones.
      engine = await startEngine(testConfig('lanes-worker-kill', LANE_ENV));
    });
    afterAll(async () => {
      await stopProcesses();
      await streams.redis.del(engine.config.redisStream.key);
      await engine?.close();
    });

    it('keeps every lane in order when another worker takes over its workflows', async () => {
      const lanes = await lanesFor(engine, 'wk');
      const env = processEnv(engine.config);
      const doomed = spawned(spawnEngineProcess('src/main-worker.ts', env));
      await started(doomed, 'worker started');

      await streams.addMany(engine.config.redisStream.key, lanes.events, 100);
      const midLanes = await lanesInTheMiddle(lanes);
      await kill(doomed);
      const answered = lanes.receiver.succeeded();

      const successor = spawned(spawnEngineProcess('src/main-worker.ts', env));
      await started(successor, 'worker started');
      const repeats = await expectEveryLaneInOrder(engine, lanes);
      report('worker SIGKILL', lanes, { 'lanes mid-way at the kill': midLanes, 'answered at the kill': answered, repeats });
    });
  });

  describe('a restart of the Temporal dev server', () => {
    // A private server kept in a file (its workflows survive the restart) and a private database: never the suite's.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'webhooks-lanes-temporal-'));
    let serverConfig: { port: number; uiPort: number; httpPort: number; metricsPort: number; dbFilename: string; logLevel: string };
    let server: RunningDevServer | undefined;
    let engine: Engine;
    let databaseUrl: string | undefined;

    const startServer = () => startTemporalDevServer({ config: serverConfig, headless: true, logFile: path.join(dir, 'temporal.log') });

    beforeAll(async () => {
      serverConfig = {
        port: await freePort(),
        uiPort: await freePort(),
        httpPort: await freePort(),
        metricsPort: await freePort(),
        dbFilename: path.join(dir, 'temporal.sqlite'),
        logLevel: 'error',
      };
      server = await startServer();
      const ownDatabase = new URL(process.env.DATABASE_URL as string);
      ownDatabase.pathname = `${ownDatabase.pathname}_lanes_restart`;
      databaseUrl = ownDatabase.toString();
      await migrate(databaseUrl);
      engine = await startEngine(
        testConfig('lanes-temporal-restart', { ...LANE_ENV, TEMPORAL_ADDRESS: server.address, DATABASE_URL: databaseUrl }),
        { listener: false },
      );
    });
    afterAll(async () => {
      await stopProcesses();
      if (engine) await streams.redis.del(engine.config.redisStream.key);
      await engine?.close();
      await server?.stop();
      if (databaseUrl && !process.env.KEEP_TEST_DATABASE) await dropDatabase(databaseUrl);
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps every lane in order when the server stops mid-lane and starts again on its file', async () => {
      const lanes = await lanesFor(engine, 'tr');
      const listener = spawned(spawnListener(processEnv(engine.config)));
      await started(listener, 'listener started');

      await streams.addMany(engine.config.redisStream.key, lanes.events, 100);
      const midLanes = await lanesInTheMiddle(lanes);
      await server!.stop();
      const answeredAtStop = lanes.receiver.succeeded();
      server = await startServer();
      const answeredAtStart = lanes.receiver.succeeded();

      const repeats = await expectEveryLaneInOrder(engine, lanes);
      report('Temporal restart', lanes, {
        'lanes mid-way at the stop': midLanes,
        'answered at the stop': answeredAtStop,
        'answered when it answered again': answeredAtStart,
        repeats,
      });
    });
  });
});
