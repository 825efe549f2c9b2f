/**
 * A bad Redis mode stops each engine process at start-up, before it connects anywhere, with a message naming the
 * variable (and never echoing a node list, which may name internal hosts): the processes as `npm run start:*` runs
 * them, here through ts-node. The parsing itself is unit-tested table by table in test/unit/config.test.ts.
 */
import { spawnEngineProcess, type EngineEntry } from '../helpers/engine-processes';
import { waitFor } from '../helpers/engine';

const ENTRIES: EngineEntry[] = ['src/main-listener.ts', 'src/main-worker.ts', 'src/main-api.ts'];

describe.each(ENTRIES)('%s', (entry) => {
  it.each<[string, Record<string, string>, RegExp]>([
    [
      'both modes set',
      { REDIS_SENTINELS: '127.0.0.1:1', REDIS_SENTINEL_MASTER: 'primary', REDIS_CLUSTER_NODES: '127.0.0.1:2' },
      /REDIS_SENTINELS, REDIS_CLUSTER_NODES: both are set/,
    ],
    ['an unparsable node list', { REDIS_CLUSTER_NODES: 'internal-host-name:seven' }, /REDIS_CLUSTER_NODES: must be host:port/],
  ])('stops with %s, naming the variable', async (_name, env, message) => {
    const child = spawnEngineProcess(entry, { ...process.env, ...env, LOG_LEVEL: 'info' });
    const exitCode = await waitFor(() => child.child.exitCode ?? undefined, 60_000, `${entry} to exit`);
    const stderr = child.stderr.join('');
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(message);
    expect(stderr).not.toContain('internal-host-name');
    // Stopped before opening anything: no "starting" line (which comes once the config is read).
    expect(child.lines.filter((line) => line.msg === 'starting')).toEqual([]);
  });
});
