import { spawn } from 'node:child_process';
import { superviseChild } from '../../tools/dev/supervised-child';
import { waitUntil } from '../helpers/wait';

describe('superviseChild', () => {
  it('starts a child that exits unexpectedly again, with growing waits, and says so', async () => {
    const said: string[] = [];
    let stopping = false;
    const supervised = superviseChild({
      name: 'crasher',
      start: () => spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' }),
      isStopping: () => stopping,
      say: (line) => said.push(line),
      backoff: { initialMs: 10, maxMs: 40 },
    });
    await waitUntil(() => supervised.restarts() >= 3, 'three restarts');
    stopping = true;
    await supervised.stop();
    expect(said.slice(0, 4)).toEqual([
      'crasher exited unexpectedly (code 3); starting it again in 0 s',
      'crasher restarting (restart 1)',
      'crasher exited unexpectedly (code 3); starting it again in 0 s',
      'crasher restarting (restart 2)',
    ]);
  });

  it('stops a running child and does not start it again', async () => {
    const said: string[] = [];
    let stopping = false;
    const supervised = superviseChild({
      name: 'sleeper',
      start: () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }),
      isStopping: () => stopping,
      say: (line) => said.push(line),
    });
    const child = supervised.current();
    expect(child?.pid).toBeDefined();
    stopping = true;
    await supervised.stop();
    expect(child?.signalCode).toBe('SIGTERM');
    expect(supervised.current()).toBeNull();
    expect(said).toEqual([]);
  });
});
