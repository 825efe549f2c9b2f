/**
 * The outbound client against a real receiver on 127.0.0.1: one POST of the exact bytes, no retries, no redirects,
 * a whole-attempt timeout, a capped response excerpt, and the SSRF guard on IP literals and resolved host names.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAllowList, createGuardedLookup, type Resolver } from '../../src/http/ssrf';
import { createWebhookClient, type WebhookClient } from '../../src/http/webhook-client';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { waitUntil } from '../helpers/wait';

const loopbackAllowed = createAllowList(['127.0.0.1/32']);
const nothingAllowed = createAllowList([]);
/** A resolver that answers every public-looking name with the loopback receiver (what DNS rebinding would do). */
const toLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];

function client(allowList = loopbackAllowed, resolver: Resolver = toLoopback, timeoutMs = 1000): WebhookClient {
  return createWebhookClient({ timeoutMs, allowList, requireHttps: false, lookup: createGuardedLookup({ resolver, allowList }) });
}

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => receiver?.close());
beforeEach(() => receiver.reset());

const body = Buffer.from('{"id":"evt_1","text":"héllo"}');

/**
 * A request sent after the one under test, through a client of its own, and awaited at the receiver: once it has
 * arrived, the receiver's log holds whatever the attempt under test sent before its post() resolved.
 */
async function sendMarker(): Promise<void> {
  const count = receiver.requests.length;
  const marker = await client().post({ url: `${receiver.origin}/marker`, body, headers: {} });
  expect(marker.result).toMatchObject({ kind: 'response' });
  await receiver.waitForRequests(count + 1);
}

describe('webhook client', () => {
  it('POSTs the exact bytes with the given headers once and reports status and body excerpt', async () => {
    receiver.enqueue({ status: 202, body: 'accepted' });
    const attempt = await client().post({ url: receiver.url, body, headers: { 'content-type': 'application/json', 'x-test': '1' } });
    expect(attempt.result).toMatchObject({ kind: 'response', statusCode: 202 });
    expect(attempt.responseExcerpt).toBe('accepted');
    const [request] = await receiver.waitForRequests(1);
    expect(request!.method).toBe('POST');
    expect(request!.body.equals(body)).toBe(true);
    expect(request!.headers['x-test']).toBe('1');
  });

  it('does not retry a 500 itself', async () => {
    receiver.setDefault({ status: 500 });
    const attempt = await client().post({ url: receiver.url, body, headers: {} });
    expect(attempt.result).toMatchObject({ kind: 'response', statusCode: 500 });
    await sendMarker();
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook', '/marker']);
  });

  it('does not follow a redirect', async () => {
    receiver.enqueue({ status: 307, headers: { location: `${receiver.origin}/elsewhere` } });
    const attempt = await client().post({ url: receiver.url, body, headers: {} });
    expect(attempt.result).toMatchObject({ kind: 'response', statusCode: 307 });
    await sendMarker();
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook', '/marker']);
  });

  it('keeps at most 1 KiB of a large response body', async () => {
    receiver.enqueue({ status: 200, body: 'x'.repeat(2 * 1024 * 1024) });
    const attempt = await client().post({ url: receiver.url, body, headers: {} });
    expect(attempt.result).toMatchObject({ kind: 'response', statusCode: 200 });
    expect(attempt.responseExcerpt).toBe('x'.repeat(1024));
  });

  it('gives up on the whole attempt after the timeout and reports a timeout', async () => {
    // The receiver never answers: only the client's own timeout can end the attempt.
    receiver.enqueue({ hang: true });
    const attempt = await client(loopbackAllowed, toLoopback, 500).post({ url: receiver.url, body, headers: {} });
    expect(attempt.result).toMatchObject({ kind: 'error', error: 'timeout' });
    expect(attempt.durationMs).toEqual(expect.any(Number));
    await receiver.waitForRequests(1);
    // The client dropped the request it gave up on.
    await waitUntil(() => receiver.open === 0, 'the timed-out request to be dropped', 5_000);
  });

  it('reports a refused connection as a connection error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const attempt = await client().post({ url: `http://127.0.0.1:${port}/hook`, body, headers: {} });
    expect(attempt.result).toMatchObject({ kind: 'error', error: 'connection', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('refuses a forbidden IP literal before connecting', async () => {
    const attempt = await client(nothingAllowed).post({ url: receiver.url, body, headers: {} });
    expect(attempt.result).toMatchObject({ kind: 'error', error: 'target_not_allowed', message: expect.stringContaining('127.0.0.1') });
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses a host name that resolves to a forbidden address, without sending', async () => {
    const attempt = await client(nothingAllowed).post({ url: `http://hooks.example.com:${receiver.port}/hook`, body, headers: {} });
    expect(attempt.result).toMatchObject({
      kind: 'error',
      error: 'target_not_allowed',
      message: 'target_not_allowed: resolves to a non-public address (loopback)',
    });
    await sendMarker();
    expect(receiver.requests.map((r) => r.path)).toEqual(['/marker']);
  });

  it('connects to the address the guard checked when the resolved address is allowed', async () => {
    const attempt = await client().post({ url: `http://hooks.example.com:${receiver.port}/hook`, body, headers: {} });
    expect(attempt.result).toMatchObject({ kind: 'response', statusCode: 200 });
    const [request] = await receiver.waitForRequests(1);
    expect(request!.headers.host).toBe(`hooks.example.com:${receiver.port}`);
  });
});
