/**
 * A receiver that answers with raw bytes on a plain TCP socket, for answers Node's HTTP server refuses to write (odd
 * or duplicated header bytes, a status line of any code, a body that lies about its encoding) and for answers that go
 * wrong halfway: a body that stops coming (`then: 'hang'`) or a connection reset mid-body (`then: 'reset'`).
 *
 * It reads each request (head, then Content-Length bytes of body), counts it, and answers with the next scripted
 * answer (or the default). Listens on 127.0.0.1 port 0; `close()` drops every connection.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RawAnswer {
  /** Status line and headers, each line ending in CRLF; the empty line that ends the head is added. */
  readonly head: Buffer;
  readonly body?: Buffer;
  /** After writing: end the connection (default), keep it open without another byte, or reset it. */
  readonly then?: 'end' | 'hang' | 'reset';
  /** With `then: 'reset'`: how long the receiver waits before resetting (default 100 ms: the client has read the head). */
  readonly resetAfterMs?: number;
}

export interface RawRequest {
  readonly head: string;
  readonly body: Buffer;
  header(name: string): string | undefined;
}

export interface RawReceiver {
  readonly url: string;
  readonly requests: readonly RawRequest[];
  enqueue(...answers: RawAnswer[]): void;
  setDefault(answer: RawAnswer): void;
  reset(): void;
  close(): Promise<void>;
}

/** A head from a status line and header lines (raw strings, written as latin1 bytes: any byte 0-255). */
export function rawHead(statusLine: string, headerLines: readonly string[] = []): Buffer {
  return Buffer.from([statusLine, ...headerLines].map((line) => `${line}\r\n`).join(''), 'latin1');
}

export async function startRawReceiver(
  defaultAnswer: RawAnswer = { head: rawHead('HTTP/1.1 200 OK', ['Content-Length: 0']) },
): Promise<RawReceiver> {
  const requests: RawRequest[] = [];
  const queue: RawAnswer[] = [];
  let fallback = defaultAnswer;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      answered = true;
      const body = buffered.subarray(end + 4, end + 4 + length);
      requests.push({
        head,
        body,
        header: (name) => new RegExp(`\\r\\n${name}:\\s*([^\\r]*)`, 'i').exec(head)?.[1],
      });
      answer(socket, queue.shift() ?? fallback);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    enqueue: (...answers) => queue.push(...answers),
    setDefault: (answer) => {
      fallback = answer;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      fallback = defaultAnswer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

function answer(socket: net.Socket, scripted: RawAnswer): void {
  socket.write(Buffer.concat([scripted.head, Buffer.from('\r\n'), scripted.body ?? Buffer.alloc(0)]));
  if (scripted.then === 'hang') return;
  if (scripted.then === 'reset') {
    // RST instead of FIN, once what was written has had time to reach the client.
    const timer = setTimeout(() => {
      if (!socket.destroyed) socket.resetAndDestroy();
    }, scripted.resetAfterMs ?? 100);
    socket.once('close', () => clearTimeout(timer));
    return;
  }
  socket.end();
}
