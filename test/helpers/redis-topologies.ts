/**
 * Real Redis topologies for tests, from the redis-server and redis-sentinel binaries on loopback ports of their own
 * (26000-27999 for a Sentinel setup, 30000-30999 for Cluster nodes with their bus ports at 31000-31999; each port
 * found free at run time): never the shared Redis on 6379.
 * - Sentinel: a primary, one replica and three Sentinels (quorum 2) that fail over a primary 1 s after it stops answering.
 * - Cluster: three primaries sharing the 16384 slots, no replicas, each with an AOF (fsync on every write) and its
 *   nodes.conf in a directory of its own, so that a node restarted after a SIGKILL comes back with its data and slots.
 * Every `stop()` kills what it started and removes its directories; always call it in afterAll.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { HostPort, RedisTopology } from '../../src/config';
import { stopProcess } from '../../tools/dev/temporal-dev-server';
import { waitFor } from './engine';

const run = promisify(execFile);
const HOST = '127.0.0.1';

/** True when nothing listens on the port of 127.0.0.1 and it can be bound. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

const taken = new Set<number>();

/** A port of [min, max] free now (and `offset` above it too), not handed out before in this process. */
export async function freePortIn(min: number, max: number, offset = 0): Promise<number> {
  for (let tries = 0; tries < 200; tries += 1) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    if (taken.has(port)) continue;
    if ((await canBind(port)) && (offset === 0 || (await canBind(port + offset)))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${min}-${max}`);
}

/** One command to one server, on a short-lived connection; null when it does not answer. */
async function ask(port: number, ...args: Array<string | number>): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(String(args[0]), ...args.slice(1));
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

/** A server process that can be killed and started again with the same arguments. */
export class ServerProcess {
  private child: ChildProcess | null = null;
  private readonly log: string[] = [];

  constructor(
    readonly port: number,
    private readonly command: string,
    private readonly args: string[],
  ) {}

  async start(): Promise<void> {
    const child = spawn(this.command, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => this.keep(chunk));
    child.stderr!.on('data', (chunk: Buffer) => this.keep(chunk));
    this.child = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${this.command} on ${this.port} exited: ${this.log.join('').slice(-2000)}`);
        return (await ask(this.port, 'PING')) === 'PONG';
      },
      15_000,
      `${this.command} on ${this.port} to answer`,
    );
  }

  /** SIGKILL: an outage, not a clean shutdown. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) await stopProcess(child, 3_000);
  }

  private keep(chunk: Buffer): void {
    this.log.push(chunk.toString('utf8'));
    if (this.log.length > 200) this.log.splice(0, 100);
  }
}

const list = (nodes: ReadonlyArray<HostPort>) => nodes.map(({ host, port }) => `${host}:${port}`).join(',');

export interface SentinelTopology {
  readonly masterName: string;
  readonly primary: ServerProcess;
  readonly replica: ServerProcess;
  readonly sentinels: ReadonlyArray<HostPort>;
  readonly topology: RedisTopology;
  /** REDIS_URL, REDIS_SENTINELS and REDIS_SENTINEL_MASTER for an engine process. */
  readonly env: Record<string, string>;
  /** The port the Sentinels name primary now (null while none answers). */
  primaryPort(): Promise<number | null>;
  stop(): Promise<void>;
}

export async function startSentinelTopology(masterName = 'webhooks-primary'): Promise<SentinelTopology> {
  const dir = mkdtempSync(path.join(tmpdir(), 'webhooks-sentinel-'));
  const servers: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const dataServer = async (name: string, extra: string[]) => {
      const port = await freePortIn(26000, 26999);
      mkdirSync(path.join(dir, name));
      const server = new ServerProcess(port, 'redis-server', [
        '--port',
        String(port),
        '--bind',
        HOST,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        path.join(dir, name),
        ...extra,
      ]);
      servers.push(server);
      await server.start();
      return server;
    };
    const primary = await dataServer('primary', []);
    const replica = await dataServer('replica', ['--replicaof', HOST, String(primary.port)]);
    await waitFor(
      async () => /master_link_status:up/.test(String(await ask(replica.port, 'INFO', 'replication'))),
      15_000,
      'the replica to sync',
    );

    const sentinels: HostPort[] = [];
    for (let i = 0; i < 3; i += 1) {
      const port = await freePortIn(27000, 27999);
      const file = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${masterName} ${HOST} ${primary.port} 2`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 5000`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = new ServerProcess(port, 'redis-sentinel', [file]);
      servers.push(sentinel);
      await sentinel.start();
      sentinels.push({ host: HOST, port });
    }
    // Each Sentinel knows the replica and the two others (their hellos go through the primary every 2 s): a failover
    // can then be agreed on.
    await waitFor(
      async () => {
        for (const { port } of sentinels) {
          const others = (await ask(port, 'SENTINEL', 'SENTINELS', masterName)) as unknown[] | null;
          const replicas = (await ask(port, 'SENTINEL', 'REPLICAS', masterName)) as unknown[] | null;
          if (others?.length !== 2 || replicas?.length !== 1) return false;
        }
        return true;
      },
      30_000,
      'the Sentinels to know each other and the replica',
    );

    const primaryPort = async () => {
      for (const { port } of sentinels) {
        const address = (await ask(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string] | null;
        if (address) return Number(address[1]);
      }
      return null;
    };
    const topology: RedisTopology = { mode: 'sentinel', sentinels, masterName };
    return {
      masterName,
      primary,
      replica,
      sentinels,
      topology,
      env: { REDIS_URL: `redis://${HOST}:${primary.port}`, REDIS_SENTINELS: list(sentinels), REDIS_SENTINEL_MASTER: masterName },
      primaryPort,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface ClusterTopology {
  readonly nodes: ReadonlyArray<ServerProcess>;
  readonly topology: RedisTopology;
  /** REDIS_URL and REDIS_CLUSTER_NODES for an engine process. */
  readonly env: Record<string, string>;
  /** The node serving `key`'s slot. */
  nodeOf(key: string): Promise<ServerProcess>;
  /** SIGKILLs a node and starts it again on its port, with its AOF and nodes.conf; resolves once the cluster is ok. */
  restart(node: ServerProcess): Promise<void>;
  stop(): Promise<void>;
}

export async function startClusterTopology(): Promise<ClusterTopology> {
  const dir = mkdtempSync(path.join(tmpdir(), 'webhooks-cluster-'));
  const nodes: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  const clusterOk = () =>
    waitFor(
      async () => {
        for (const node of nodes) if (!/cluster_state:ok/.test(String(await ask(node.port, 'CLUSTER', 'INFO')))) return false;
        return true;
      },
      30_000,
      'every cluster node to report cluster_state:ok',
    );
  try {
    for (let i = 0; i < 3; i += 1) {
      const port = await freePortIn(30000, 30999, 1000);
      const nodeDir = path.join(dir, String(port));
      mkdirSync(nodeDir);
      const node = new ServerProcess(port, 'redis-server', [
        '--port',
        String(port),
        '--cluster-port',
        String(port + 1000),
        '--bind',
        HOST,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '2000',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--dir',
        nodeDir,
      ]);
      nodes.push(node);
      await node.start();
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((node) => `${HOST}:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await clusterOk();

    const topology: RedisTopology = { mode: 'cluster', nodes: nodes.map((node) => ({ host: HOST, port: node.port })) };
    return {
      nodes,
      topology,
      env: { REDIS_URL: `redis://${HOST}:${nodes[0].port}`, REDIS_CLUSTER_NODES: list(topology.nodes) },
      async nodeOf(key) {
        const slot = Number(await ask(nodes[0].port, 'CLUSTER', 'KEYSLOT', key));
        const ranges = (await ask(nodes[0].port, 'CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
        const range = ranges.find(([from, to]) => slot >= Number(from) && slot <= Number(to));
        const node = nodes.find((candidate) => candidate.port === Number(range?.[2][1]));
        if (!node) throw new Error(`no node serves slot ${slot}`);
        return node;
      },
      async restart(node) {
        await node.kill();
        await node.start();
        await clusterOk();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
