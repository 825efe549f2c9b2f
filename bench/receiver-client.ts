/** Starts bench/receiver.ts in its own process and talks to it over IPC. */
import { startNodeChild, type Child } from './children';
import type { CollectedEvent, ReceiverReply, ReceiverRequest } from './receiver-protocol';

export interface ReceiverHandle {
  child: Child;
  url: string;
  /** `timed`: each event also with its requests' [arrived, answered] times. */
  collect(prefix: string, timed?: boolean): Promise<{ events: CollectedEvent[]; badSignatures: number; malformed: number }>;
  count(prefix: string): Promise<{ distinct: number; receipts: number }>;
  forget(prefix: string): Promise<void>;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'requestId'> : never;

export async function startReceiverProcess(logDir: string, signingSecret: string): Promise<ReceiverHandle> {
  const child = startNodeChild('receiver', 'bench/receiver.ts', {
    ipc: true,
    logDir,
    env: {},
  });
  const pending = new Map<number, (reply: ReceiverReply) => void>();
  let nextId = 1;
  child.process.on('message', (message: ReceiverReply) => pending.get(message.requestId)?.(message));
  const exited = new Promise<never>((_, reject) =>
    child.process.once('exit', (code) => reject(new Error(`receiver exited with ${code} (see ${child.logFile})`))),
  );
  exited.catch(() => undefined);
  const ask = <R extends ReceiverReply>(request: WithoutId<ReceiverRequest>): Promise<R> =>
    new Promise((resolve, reject) => {
      const requestId = nextId++;
      const timer = setTimeout(() => {
        pending.delete(requestId);
        reject(new Error(`receiver did not answer ${request.type}`));
      }, 30_000);
      pending.set(requestId, (reply) => {
        clearTimeout(timer);
        pending.delete(requestId);
        resolve(reply as R);
      });
      child.process.send({ ...request, requestId } as ReceiverRequest);
    });
  const ready = await Promise.race([ask<Extract<ReceiverReply, { type: 'ready' }>>({ type: 'configure', signingSecret }), exited]);
  const port = ready.port;
  return {
    child,
    url: `http://127.0.0.1:${port}/hook`,
    collect: async (prefix, timed) => {
      const r = await ask<Extract<ReceiverReply, { type: 'collected' }>>({ type: 'collect', prefix, ...(timed ? { timed } : {}) });
      return { events: r.events, badSignatures: r.badSignatures, malformed: r.malformed };
    },
    count: async (prefix) => {
      const r = await ask<Extract<ReceiverReply, { type: 'counted' }>>({ type: 'count', prefix });
      return { distinct: r.distinct, receipts: r.receipts };
    },
    forget: async (prefix) => {
      await ask({ type: 'forget', prefix });
    },
  };
}
