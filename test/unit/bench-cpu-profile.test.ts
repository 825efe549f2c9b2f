import { groupOf, summarizeCpuProfile, type CpuProfile } from '../../bench/cpu-profile';

const ROOT = '/repo';

describe('groupOf', () => {
  it('groups by package, scoped package, Node internals and project folder', () => {
    expect(groupOf('file:///repo/node_modules/typeorm/query.js', 'f', ROOT)).toBe('typeorm');
    expect(groupOf('file:///repo/node_modules/@temporalio/worker/lib/x.js', 'f', ROOT)).toBe('@temporalio/worker');
    expect(groupOf('node:internal/streams/readable', 'f', ROOT)).toBe('node internals');
    expect(groupOf('/repo/src/http/signer.ts', 'f', ROOT)).toBe('project: src/http');
    expect(groupOf('', '(garbage collector)', ROOT)).toBe('(garbage collector)');
  });
});

describe('summarizeCpuProfile', () => {
  it('adds up self time per group, leaves idle time out and ranks functions', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '' } },
        { id: 2, callFrame: { functionName: '(idle)', url: '' } },
        { id: 3, callFrame: { functionName: 'query', url: 'file:///repo/node_modules/pg/lib/client.js', lineNumber: 9 } },
        { id: 4, callFrame: { functionName: 'signHeaders', url: '/repo/src/http/signer.ts', lineNumber: 49 } },
      ],
      samples: [2, 3, 3, 4, 2],
      timeDeltas: [5000, 3000, 3000, 2000, 9000],
      startTime: 0,
      endTime: 22000,
    };
    const summary = summarizeCpuProfile(profile, ROOT);
    expect(summary.busyMs).toBe(8);
    expect(summary.groups).toEqual([
      ['pg', 6, 0.75],
      ['project: src/http', 2, 0.25],
    ]);
    expect(summary.functions[0]).toEqual(['query @ pg/lib/client.js:10', 6]);
  });
});
