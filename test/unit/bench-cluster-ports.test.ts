import { CLUSTER_PORT_OFFSETS, clusterPortsAt, pickPortOffset } from '../../bench/cluster-environment';

describe('the benchmark cluster ports', () => {
  it('lists every port of deploy/temporal-server/webhooks.yaml moved by the offset', () => {
    expect(clusterPortsAt(0).sort((a, b) => a - b)).toEqual([6933, 6934, 6935, 6939, 7233, 7234, 7235, 7239, 7243, 9090, 9091, 9092, 9093]);
    expect(clusterPortsAt(22_000)).toContain(29_233);
    // Membership ports go into a Postgres smallint.
    for (const offset of CLUSTER_PORT_OFFSETS) expect(Math.max(...clusterPortsAt(offset).filter((p) => p < 7000))).toBeLessThan(32_768);
  });

  it('picks the first offset whose every port is free, and never the test suite one', async () => {
    expect(CLUSTER_PORT_OFFSETS).not.toContain(20_000);
    const taken = new Set([30_000 + 9092]);
    await expect(pickPortOffset([30_000, 31_000], async (port) => !taken.has(port))).resolves.toBe(31_000);
    await expect(pickPortOffset([30_000], async () => false)).rejects.toThrow(/no free port offset/);
  });
});
