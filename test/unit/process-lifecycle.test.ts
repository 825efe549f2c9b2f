import { EventEmitter } from 'node:events';
import { superviseProcess } from '../../src/shared/process-lifecycle';
import { createLogger } from '../../src/logger';
import { Writable } from 'node:stream';

function harness(stop: () => Promise<unknown>, stopBoundMs = 50) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  const target = new EventEmitter();
  let exitWith: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (exitWith = resolve));
  const lifecycle = superviseProcess({
    logger: createLogger('lifecycle-test', 'debug', destination),
    stop,
    stopBoundMs,
    exit: (code) => exitWith(code),
    target: target as unknown as NodeJS.Process,
  });
  return { lines, target, exited, lifecycle };
}

describe('superviseProcess', () => {
  it('stops on SIGTERM and exits 0 once the stop has finished', async () => {
    let stopped = 0;
    const { target, exited, lines } = harness(async () => {
      stopped += 1;
    }, 60_000);
    target.emit('SIGTERM');
    expect(await exited).toBe(0);
    expect(stopped).toBe(1);
    expect(lines.map((l) => l.msg)).toEqual(['stopping', 'stopped']);
  });

  it('exits 1 at the bound when the stop never finishes', async () => {
    const { target, exited, lines } = harness(() => new Promise(() => undefined));
    target.emit('SIGINT');
    expect(await exited).toBe(1);
    expect(lines.map((l) => l.msg)).toEqual(['stopping', 'stopping took longer than its bound; exiting now']);
  });

  it('exits 1 when the stop fails', async () => {
    const { target, exited, lines } = harness(() => Promise.reject(new Error('db gone')), 60_000);
    target.emit('SIGTERM');
    expect(await exited).toBe(1);
    expect(lines[1]).toMatchObject({ msg: 'stopping failed; exiting', err: 'db gone' });
  });

  it('logs an unhandled rejection and keeps serving', async () => {
    let stopped = 0;
    const { target, lines } = harness(async () => {
      stopped += 1;
    }, 60_000);
    target.emit('unhandledRejection', new Error('nobody awaited this'));
    expect(lines).toEqual([expect.objectContaining({ msg: 'unhandled rejection; the process keeps serving', err: 'nobody awaited this' })]);
    expect(stopped).toBe(0);
  });

  it('stops on purpose with exit code 1 after an uncaught exception', async () => {
    const { target, exited, lines } = harness(async () => undefined, 60_000);
    target.emit('uncaughtException', new Error('unexpected'));
    expect(await exited).toBe(1);
    expect(lines[0]).toMatchObject({ msg: 'uncaught exception; stopping the process', err: 'unexpected' });
  });

  it('stops once however often it is asked', async () => {
    let stopped = 0;
    const { target, exited, lifecycle } = harness(async () => {
      stopped += 1;
    }, 60_000);
    target.emit('SIGTERM');
    await lifecycle.stopAndExit('again', 0);
    expect(await exited).toBe(0);
    expect(stopped).toBe(1);
  });
});
