/**
 * The benchmark's webhook receiver, in its own process so its work is not charged to any system under test.
 * Listens on 127.0.0.1 port 0, answers every POST with 200, and records per event id when each copy arrived.
 * Every request's X-Hub-Signature-256 is checked against the subscription's secret (sent over IPC by the
 * benchmark, never through the environment): a wrong signature is counted and shown in the summary, so all three
 * systems are shown to send correctly signed requests.
 *
 * A delivery is keyed by its event id, plus the path after /hook when there is one (the burst phase's subscriptions
 * are /hook/b0 ... /hook/bN, so one event delivered to each is counted once per subscription). POST /floor-receipts
 * takes a batch of receipts from the floor system, whose no-op activity sends nothing: `[[key, scheduledAt,
 * receivedAt], ...]` (not signed; counted apart from the webhook requests).
 *
 * For each webhook request it also keeps, on a sub-millisecond clock, when the request arrived (its headers in) and
 * when its 200 was sent: `collect` with `timed` returns them, for the ordered phase's order check.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CollectedEvent, ReceiverReply, ReceiverRequest } from './receiver-protocol';

let secret = '';

interface Seen {
  scheduledAt: number;
  receivedAt: number[];
  /** [arrived, answered] of each webhook request (none for the floor's receipts). */
  requests: Array<[number, number]>;
}
const events = new Map<string, Seen>();
let badSignatures = 0;
let malformed = 0;

function signatureOk(header: string | string[] | undefined, body: Buffer): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Milliseconds since the epoch, to a fraction of a millisecond. */
const preciseNow = () => performance.timeOrigin + performance.now();

function record(key: string, scheduledAt: number, receivedAt: number, request?: [number, number]): void {
  let seen = events.get(key);
  if (!seen) {
    seen = { scheduledAt, receivedAt: [], requests: [] };
    events.set(key, seen);
  }
  seen.receivedAt.push(receivedAt);
  if (request) seen.requests.push(request);
}

/** `/hook` -> '', `/hook/b3` -> '@b3': the subscription a request was sent to, when the run has several. */
function subscriptionSuffix(url: string | undefined): string {
  const match = /^\/hook\/([A-Za-z0-9_-]+)/.exec(url ?? '');
  return match ? `@${match[1]}` : '';
}

const server = http.createServer((req, res) => {
  const arrivedAt = preciseNow();
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const receivedAt = Date.now();
    const body = Buffer.concat(chunks);
    if (req.url === '/floor-receipts') {
      try {
        for (const [key, scheduledAt, at] of JSON.parse(body.toString('utf8')) as Array<[string, number, number]>)
          record(key, scheduledAt, at);
      } catch {
        malformed += 1;
      }
      res.writeHead(200, { 'content-length': '0' }).end();
      return;
    }
    if (!signatureOk(req.headers['x-hub-signature-256'], body)) badSignatures += 1;
    let key: string | undefined;
    let scheduledAt = 0;
    try {
      const envelope = JSON.parse(body.toString('utf8')) as { id: string; data: { scheduledAt: number } };
      key = `${envelope.id}${subscriptionSuffix(req.url)}`;
      scheduledAt = envelope.data.scheduledAt;
    } catch {
      malformed += 1;
    }
    res.writeHead(200, { 'content-length': '0' }).end();
    // Recorded once the 200 is handed to the socket: no later request can have been caused by it before this time.
    if (key !== undefined) record(key, scheduledAt, receivedAt, [arrivedAt, preciseNow()]);
  });
});
server.keepAliveTimeout = 30_000;

function reply(message: ReceiverReply): void {
  process.send?.(message);
}

process.on('message', (message: ReceiverRequest) => {
  if (message.type === 'configure') {
    secret = message.signingSecret;
    if (server.listening) return;
    server.listen(0, '127.0.0.1', () =>
      reply({ type: 'ready', requestId: message.requestId, port: (server.address() as AddressInfo).port }),
    );
  } else if (message.type === 'collect') {
    const out: CollectedEvent[] = [];
    for (const [id, seen] of events) {
      if (!id.startsWith(message.prefix)) continue;
      out.push(message.timed ? [id, seen.scheduledAt, seen.receivedAt, seen.requests] : [id, seen.scheduledAt, seen.receivedAt]);
    }
    reply({ type: 'collected', requestId: message.requestId, events: out, badSignatures, malformed });
  } else if (message.type === 'count') {
    let distinct = 0;
    let receipts = 0;
    for (const [id, seen] of events) {
      if (!id.startsWith(message.prefix)) continue;
      distinct += 1;
      receipts += seen.receivedAt.length;
    }
    reply({ type: 'counted', requestId: message.requestId, distinct, receipts });
  } else if (message.type === 'forget') {
    for (const id of [...events.keys()]) if (id.startsWith(message.prefix)) events.delete(id);
    reply({ type: 'forgotten', requestId: message.requestId });
  }
});

// The benchmark owns this process: stop when it goes away or asks.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
