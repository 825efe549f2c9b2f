/**
 * A real HTTP receiver for tests: listens on 127.0.0.1 port 0, records every request it gets (method, path,
 * headers, raw body bytes) and answers each request as the test scripted it (status, headers, body, delay, hang,
 * or a dropped connection).
 *
 * Answers are taken first from a FIFO queue (`enqueue`, one answer per request), then from the default answer
 * (`setDefault`, used for every request once the queue is empty). An answer may be a plain object or a function of
 * the recorded request, so a test can answer based on headers or body.
 *
 * ```ts
 * const receiver = await startReceiver();
 * receiver.enqueue({ status: 503, headers: { 'retry-after': '1' } }, { status: 200, body: { ok: true } });
 * // ... make the engine POST to receiver.url ...
 * const [first, second] = await receiver.waitForRequests(2);
 * expect(second.json()).toMatchObject({ type: 'CONVERSATION_CREATED' });
 * await receiver.close();
 * ```
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it, recorded once its body has been read completely. */
export interface RecordedRequest {
  /** 0-based order of arrival at this receiver. */
  readonly index: number;
  readonly method: string;
  /** Path and query, exactly as sent (e.g. `/hooks?x=1`). */
  readonly path: string;
  /** Header names lower-cased, as Node parses them. */
  readonly headers: http.IncomingHttpHeaders;
  /** The exact bytes of the body. */
  readonly body: Buffer;
  readonly remoteAddress: string | undefined;
  /** Milliseconds since the epoch when the request head arrived. */
  readonly receivedAt: number;
  /** The body decoded as UTF-8. */
  text(): string;
  /** The body parsed as JSON (throws if it is not JSON). */
  json<T = unknown>(): T;
  /** True once the client's side of the connection is gone (it died or gave up): an answer can no longer reach it. */
  clientGone(): boolean;
}

/** How to answer one request. Every field is optional; the default is 200 with an empty body. */
export interface ScriptedResponse {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string | number | readonly string[]>>;
  /** A string or Buffer is sent as is; any other value is sent as JSON (with a JSON content type unless set). */
  readonly body?: string | Buffer | object;
  /** Wait this long (ms) before answering. */
  readonly delayMs?: number;
  /** Never answer: the request stays open until the client gives up or the receiver closes. */
  readonly hang?: boolean;
  /** Drop the connection without answering (a network error for the client). */
  readonly destroy?: boolean;
}

export type Responder = ScriptedResponse | ((request: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse>);

export interface Receiver {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** `http://127.0.0.1:<port>/hook`: a convenient target URL. */
  readonly url: string;
  readonly port: number;
  /** Every request recorded so far, in order of arrival. */
  readonly requests: readonly RecordedRequest[];
  /** Requests arrived and not answered yet (a hanging answer stays open until the client gives up). */
  readonly open: number;
  /** The most requests ever open at once since the start (or the last reset). */
  readonly maxOpen: number;
  /** Queues answers for the next requests, one per request, in order. */
  enqueue(...responses: Responder[]): void;
  /** Sets the answer used once the queue is empty. */
  setDefault(response: Responder): void;
  /** Resolves with the first `count` requests once that many have arrived; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Forgets the recorded requests and queued answers and restores the default answer. */
  reset(): void;
  /** Stops listening and drops every open connection (hanging requests included). */
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Answer used once the queue is empty (default: 200, empty body). */
  readonly defaultResponse?: Responder;
}

const DEFAULT_RESPONSE: ScriptedResponse = { status: 200 };

/** Starts a receiver on 127.0.0.1 port 0. Always `close()` it in `afterAll`/`afterEach`. */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const requests: RecordedRequest[] = [];
  const queue: Responder[] = [];
  let fallback: Responder = options.defaultResponse ?? DEFAULT_RESPONSE;
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const concurrency = { open: 0, maxOpen: 0 };

  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    concurrency.open += 1;
    concurrency.maxOpen = Math.max(concurrency.maxOpen, concurrency.open);
    // 'close': the answer was sent, or the client dropped the connection (a timeout against a hanging answer).
    res.once('close', () => {
      concurrency.open -= 1;
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = record(requests.length, req, res, Buffer.concat(chunks), receivedAt);
      requests.push(recorded);
      const responder = queue.shift() ?? fallback;
      waiters.forEach((notify) => notify());
      void answer(responder, recorded, res, timers);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    url: `${origin}/hook`,
    port,
    requests,
    get open() {
      return concurrency.open;
    },
    get maxOpen() {
      return concurrency.maxOpen;
    },
    enqueue: (...responses) => queue.push(...responses),
    setDefault: (response) => {
      fallback = response;
    },
    waitForRequests: (count, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          cleanup();
          resolve(requests.slice(0, count));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`receiver got ${requests.length} request(s), expected ${count} within ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    reset: () => {
      requests.length = 0;
      concurrency.maxOpen = concurrency.open;
      queue.length = 0;
      fallback = options.defaultResponse ?? DEFAULT_RESPONSE;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        timers.forEach((timer) => clearTimeout(timer));
        timers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function record(index: number, req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, receivedAt: number): RecordedRequest {
  return {
    index,
    method: req.method ?? '',
    path: req.url ?? '',
    headers: req.headers,
    body,
    remoteAddress: req.socket.remoteAddress,
    receivedAt,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
    clientGone: () => res.destroyed || req.socket.destroyed || !req.socket.writable,
  };
}

async function answer(
  responder: Responder,
  request: RecordedRequest,
  res: http.ServerResponse,
  timers: Set<NodeJS.Timeout>,
): Promise<void> {
  let scripted: ScriptedResponse;
  try {
    scripted = typeof responder === 'function' ? await responder(request) : responder;
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`receiver script failed: ${(error as Error).message}`);
    return;
  }
  if (scripted.hang) return;
  if (scripted.delayMs && scripted.delayMs > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, scripted.delayMs);
      timers.add(timer);
    });
  }
  if (res.destroyed || res.writableEnded) return;
  if (scripted.destroy) {
    res.socket?.destroy();
    return;
  }
  const headers: http.OutgoingHttpHeaders = { ...(scripted.headers as http.OutgoingHttpHeaders | undefined) };
  let payload: string | Buffer = '';
  if (typeof scripted.body === 'string' || Buffer.isBuffer(scripted.body)) {
    payload = scripted.body;
  } else if (scripted.body !== undefined) {
    payload = JSON.stringify(scripted.body);
    const hasType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    if (!hasType) headers['content-type'] = 'application/json';
  }
  res.writeHead(scripted.status ?? 200, headers).end(payload);
}
