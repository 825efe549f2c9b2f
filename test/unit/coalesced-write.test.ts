import { coalescedWrite } from '../../src/db/coalesced-write';

/** A write whose statements the test finishes one by one. */
function controlledWrite() {
  const statements: Array<{ keys: string[]; finish: (error?: Error) => void }> = [];
  const write = (keys: string[]) =>
    new Promise<void>((resolve, reject) => {
      statements.push({ keys, finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { statements, write };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('coalescedWrite', () => {
  it('writes a lone call at once, in a statement of its own', async () => {
    const { statements, write } = controlledWrite();
    const mark = coalescedWrite(write);
    const done = mark('a');
    await tick();
    expect(statements.map((s) => s.keys)).toEqual([['a']]);
    statements[0].finish();
    await expect(done).resolves.toBeUndefined();
  });

  it('writes the calls made while a statement is in flight together in the next one, and resolves each after its own', async () => {
    const { statements, write } = controlledWrite();
    const mark = coalescedWrite(write);
    const settled: string[] = [];
    const track = (key: string) => mark(key).then(() => settled.push(key));
    const first = track('a');
    await tick();
    const rest = ['b', 'c', 'd'].map(track);
    await tick();
    expect(statements.map((s) => s.keys)).toEqual([['a']]);

    statements[0].finish();
    await first;
    await tick();
    expect(settled).toEqual(['a']);
    expect(statements.map((s) => s.keys)).toEqual([['a'], ['b', 'c', 'd']]);
    statements[1].finish();
    await Promise.all(rest);
    expect(settled).toEqual(['a', 'b', 'c', 'd']);
  });

  it('joins calls made in the same tick into one statement, at most maxBatch keys each', async () => {
    const { statements, write } = controlledWrite();
    const mark = coalescedWrite(write, 2);
    const all = ['a', 'b', 'c', 'd', 'e'].map((key) => mark(key));
    await tick();
    expect(statements.map((s) => s.keys)).toEqual([['a', 'b']]);
    statements[0].finish();
    await tick();
    statements[1].finish();
    await tick();
    statements[2].finish();
    await Promise.all(all);
    expect(statements.map((s) => s.keys)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('rejects the calls of a failed statement only, and keeps writing the others', async () => {
    const { statements, write } = controlledWrite();
    const mark = coalescedWrite(write);
    const first = mark('a');
    await tick();
    const second = mark('b');
    statements[0].finish(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await tick();
    expect(statements.map((s) => s.keys)).toEqual([['a'], ['b']]);
    statements[1].finish();
    await expect(second).resolves.toBeUndefined();
    // Idle again: the next call starts a statement of its own.
    const third = mark('c');
    await tick();
    expect(statements.map((s) => s.keys)).toEqual([['a'], ['b'], ['c']]);
    statements[2].finish();
    await expect(third).resolves.toBeUndefined();
  });

  it('refuses a batch size that is not a positive integer', () => {
    expect(() => coalescedWrite(async () => undefined, 0)).toThrow(RangeError);
    expect(() => coalescedWrite(async () => undefined, 1.5)).toThrow(RangeError);
  });
});
