/**
 * Endpoint options on real parts: subscriptions made through the API, events published on Redis, the listener's match
 * step, Temporal and a worker POSTing to a real receiver. Filters deliver exactly the matching events (and start no
 * workflow for the others), custom headers arrive on every attempt, ed25519 deliveries verify with Node's crypto
 * against the key from the API and from the JWKS.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { WorkflowBundle } from '@temporalio/worker';
import { WorkflowNotFoundError } from '@temporalio/client';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { captureLogs, newEvent, startEngine, testConfig, waitFor, type Engine } from '../helpers/engine';
import { startReceiver, type Receiver, type RecordedRequest } from '../helpers/receiver';
import { bundleWorkflows, startTestWorker } from '../helpers/worker';

describe('endpoint options, delivered', () => {
  let engine: Engine;
  let receiver: Receiver;
  let bundle: WorkflowBundle;
  const workerLogs = captureLogs('options-worker');

  beforeAll(async () => {
    bundle = await bundleWorkflows();
    receiver = await startReceiver();
    engine = await startEngine(testConfig('options'), {
      startWorker: (config, dataSource) =>
        startTestWorker({
          config,
          dataSource,
          taskQueue: config.temporal.taskQueue,
          bundle,
          decorate: (deps) => ({ ...deps, logger: workerLogs.logger }),
        }),
    });
  });
  afterAll(async () => {
    await engine?.close();
    await receiver?.close();
  });
  beforeEach(() => receiver.reset());

  const subscribe = async (key: string, body: Record<string, unknown> = {}) => {
    const path = `/hooks/${Math.random().toString(36).slice(2)}`;
    const res = await engine.request('POST', '/webhooks/subscriptions', key, {
      url: `${receiver.origin}${path}`,
      events: ['NEW_MESSAGE_FROM_VISITOR'],
      ...body,
    });
    expect(res.status).toBe(201);
    return { ...(res.body as { id: string; secret?: string; publicKey?: string }), path };
  };

  const dispatched = (eventId: string) =>
    waitFor(
      async () => (await engine.dataSource.query('SELECT dispatched_at FROM webhook_events WHERE id = $1', [eventId]))[0]?.dispatched_at,
      20_000,
      `dispatch of ${eventId}`,
    );

  const workflowExists = async (eventId: string, subscriptionId: string): Promise<boolean> => {
    try {
      await engine.temporal.workflow.getHandle(deliveryWorkflowId(eventId, subscriptionId)).describe();
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  };

  it('delivers each event exactly to the subscriptions whose filter its data satisfies, and starts no workflow for the others', async () => {
    const { accountId, key } = await engine.newAccount('filters');
    const subs = {
      all: await subscribe(key),
      attachments: await subscribe(key, { filter: { 'message.attachments': { $exists: true } } }),
      bigFrench: await subscribe(key, { filter: { 'visitor.country': { $in: ['FR', 'DE'] }, amount: { $gte: 100 } } }),
      vipOrUrgent: await subscribe(key, { filter: { $or: [{ tags: 'vip' }, { 'message.text': 'urgent' }] } }),
      // Compares strings with strings only: never holds for a number amount (no coercion), nor stops the others.
      mismatched: await subscribe(key, { filter: { amount: { $gt: '100' } } }),
      nested: await subscribe(key, { filter: { 'items.sku': 'B-2', 'items.qty': { $lt: 3 } } }),
    };
    const table: Array<{ data: Record<string, unknown>; to: Array<keyof typeof subs> }> = [
      { data: { message: { text: 'hi', attachments: [{ kind: 'image' }] } }, to: ['all', 'attachments'] },
      { data: { visitor: { country: 'FR' }, amount: 150, tags: ['vip', 'new'] }, to: ['all', 'bigFrench', 'vipOrUrgent'] },
      { data: { visitor: { country: 'FR' }, amount: 50 }, to: ['all'] },
      { data: { visitor: { country: 'FR' }, amount: '150' }, to: ['all', 'mismatched'] },
      { data: { message: { text: 'urgent', attachments: null } }, to: ['all', 'attachments', 'vipOrUrgent'] },
      {
        data: {
          items: [
            { sku: 'A-1', qty: 1 },
            { sku: 'B-2', qty: 5 },
          ],
        },
        to: ['all', 'nested'],
      },
      { data: {}, to: ['all'] },
    ];
    const events = table.map((row) => ({ ...row, event: newEvent(accountId, 'NEW_MESSAGE_FROM_VISITOR', row.data) }));
    for (const { event } of events) await engine.publish(event);
    for (const { event } of events) await dispatched(event.id);
    // Each (subscription, event) pair counts once: on a loaded machine an attempt may time out and be made again.
    const receivedBy = (path: string) =>
      [...new Set(receiver.requests.filter((r) => r.path === path).map((r) => r.json<{ id: string }>().id))].sort();
    const wanted = (name: string) =>
      events
        .filter((row) => row.to.includes(name as keyof typeof subs))
        .map((row) => row.event.id)
        .sort();
    await waitFor(
      () => Object.entries(subs).every(([name, sub]) => receivedBy(sub.path).length >= wanted(name).length) || undefined,
      60_000,
      'every matching delivery',
    );
    for (const [name, sub] of Object.entries(subs)) expect({ name, got: receivedBy(sub.path) }).toEqual({ name, got: wanted(name) });
    for (const { event, to } of events) {
      for (const [name, sub] of Object.entries(subs)) {
        expect({ name, event: event.id, started: await workflowExists(event.id, sub.id) }).toEqual({
          name,
          event: event.id,
          started: to.includes(name as keyof typeof subs),
        });
      }
    }
  });

  it('sends the custom headers on every attempt, a retried one included, and never logs their values', async () => {
    const { accountId, key } = await engine.newAccount('headers');
    const sub = await subscribe(key, { headers: { Authorization: 'Bearer hdr-secret-91', 'X-Tenant': 'acme-77' } });
    let answered = 0;
    receiver.setDefault((request) => (request.path === sub.path && answered++ === 0 ? { status: 503 } : { status: 200 }));
    const event = newEvent(accountId);
    await engine.publish(event);
    await waitFor(() => receiver.requests.filter((r) => r.path === sub.path).length >= 2 || undefined, 30_000, 'the retried attempt');
    const attempts = receiver.requests.filter((r) => r.path === sub.path);
    for (const request of attempts) {
      expect(request.headers.authorization).toBe('Bearer hdr-secret-91');
      expect(request.headers['x-tenant']).toBe('acme-77');
      expect(request.headers['x-hub-signature-256']).toMatch(/^sha256=/);
      expect(request.headers['content-type']).toBe('application/json');
    }
    const [row] = await waitFor(async () => {
      const rows = await engine.dataSource.query(
        `SELECT status, attempts FROM webhook_deliveries WHERE event_id = $1 AND status = 'SUCCESS'`,
        [event.id],
      );
      return rows.length ? rows : undefined;
    });
    expect(row.attempts).toBe(2);
    const logged = JSON.stringify([...engine.logs.lines(), ...workerLogs.lines()]);
    expect(logged).not.toContain('hdr-secret-91');
    expect(logged).not.toContain('acme-77');
  });

  const rawKey = (publicKey: string): KeyObject =>
    createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey.slice('whpk_'.length), 'base64').toString('base64url') },
      format: 'jwk',
    });

  const signatures = (request: RecordedRequest): Buffer[] =>
    String(request.headers['webhook-signature'])
      .split(' ')
      .map((entry) => {
        expect(entry).toMatch(/^v1a,[A-Za-z0-9+/]+={0,2}$/);
        return Buffer.from(entry.slice(4), 'base64');
      });

  const signedContent = (request: RecordedRequest): Buffer =>
    Buffer.concat([Buffer.from(`${String(request.headers['webhook-id'])}.${String(request.headers['webhook-timestamp'])}.`), request.body]);

  it('signs ed25519 deliveries with v1a only; they verify with the API key and the JWKS key, both keys during a rotation grace', async () => {
    const { accountId, key } = await engine.newAccount('ed25519');
    const sub = await subscribe(key, { signatureScheme: 'ed25519' });
    expect(sub.secret).toBeUndefined();
    const first = newEvent(accountId);
    await engine.publish(first);
    await waitFor(() => receiver.requests.find((r) => r.path === sub.path), 20_000, 'the ed25519 delivery');
    const [request] = receiver.requests.filter((r) => r.path === sub.path);
    expect(request.headers['x-hub-signature-256']).toBeUndefined();
    const [signature, ...more] = signatures(request);
    expect(more).toEqual([]);
    expect(verify(null, signedContent(request), rawKey(sub.publicKey as string), signature)).toBe(true);
    const jwks = await engine.request('GET', '/webhooks/jwks.json', key);
    const [jwk] = jwks.body.keys;
    expect(jwk.subscriptionId).toBe(sub.id);
    expect(verify(null, signedContent(request), createPublicKey({ key: jwk, format: 'jwk' }), signature)).toBe(true);
    // A tampered body does not verify.
    expect(verify(null, Buffer.concat([signedContent(request), Buffer.from(' ')]), rawKey(sub.publicKey as string), signature)).toBe(false);

    const rotated = await engine.request('POST', `/webhooks/subscriptions/${sub.id}/secret/rotate`, key, { graceSeconds: 3600 });
    expect(rotated.status).toBe(200);
    receiver.reset();
    await engine.publish(newEvent(accountId));
    await waitFor(() => receiver.requests.find((r) => r.path === sub.path), 20_000, 'the delivery after rotation');
    const [after] = receiver.requests.filter((r) => r.path === sub.path);
    const [newest, previous] = signatures(after);
    expect(verify(null, signedContent(after), rawKey(rotated.body.publicKey), newest)).toBe(true);
    expect(verify(null, signedContent(after), rawKey(sub.publicKey as string), previous)).toBe(true);
    const keys = (await engine.request('GET', '/webhooks/jwks.json', key)).body.keys as Array<import('node:crypto').JsonWebKey>;
    expect(keys).toHaveLength(2);
    expect(keys.map((k) => verify(null, signedContent(after), createPublicKey({ key: k, format: 'jwk' }), newest))).toEqual([true, false]);
  });
});
