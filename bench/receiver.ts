/**
 * The benchmark's webhook receiver, in its own process so its work is not charged to any system under test.
 * Listens on 127.0.0.1 port 0, answers every POST with 200, and records per event id when each copy arrived.
 * Every request's X-Hub-Signature-256 is checked against the subscription's secret (sent over IPC by the
 * benchmark, never through the environment): a wrong signature is counted and shown in the summary, so all three
 * systems are shown to send correctly signed requests.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CollectedEvent, ReceiverReply, ReceiverRequest } from './receiver-protocol';

let secret = '';

interface Seen {
  scheduledAt: number;
  receivedAt: number[];
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

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const receivedAt = Date.now();
    const body = Buffer.concat(chunks);
    if (!signatureOk(req.headers['x-hub-signature-256'], body)) badSignatures += 1;
    try {
      const envelope = JSON.parse(body.toString('utf8')) as { id: string; data: { scheduledAt: number } };
      const seen = events.get(envelope.id);
      if (seen) seen.receivedAt.push(receivedAt);
      else events.set(envelope.id, { scheduledAt: envelope.data.scheduledAt, receivedAt: [receivedAt] });
    } catch {
      malformed += 1;
    }
    res.writeHead(200, { 'content-length': '0' }).end();
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
    for (const [id, seen] of events) if (id.startsWith(message.prefix)) out.push([id, seen.scheduledAt, seen.receivedAt]);
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
