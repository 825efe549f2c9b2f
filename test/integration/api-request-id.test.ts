/** X-Request-Id on the real app: taken when safe, made otherwise, returned on every answer and in the log line. */
import { requestIdFor } from '../../src/api/request-id.middleware';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness';
import { captureLogs, type CapturedLogs } from '../helpers/engine';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('X-Request-Id', () => {
  let harness: ApiHarness;
  let logs: CapturedLogs;
  beforeAll(async () => {
    logs = captureLogs('api');
    harness = await startApiHarness({ logger: logs.logger });
  });
  afterAll(() => harness?.close());

  const answered = (requestId: string) => logs.waitFor((line) => line.msg === 'request answered' && line.requestId === requestId);

  it('keeps a safe id from the caller, returns it and logs the request with it', async () => {
    const { key } = await harness.newAccount('reqid');
    const response = await harness.request('GET', '/webhooks/subscriptions?limit=2', {
      key,
      headers: { 'x-request-id': 'proxy-7f3a:01.b_c' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('proxy-7f3a:01.b_c');
    const line = await answered('proxy-7f3a:01.b_c');
    expect(line).toMatchObject({ level: 30, method: 'GET', path: '/webhooks/subscriptions', status: 200 });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(JSON.stringify(line)).not.toContain(key);
    expect(JSON.stringify(line)).not.toContain('limit=2');
  });

  it('makes one when there is none, on errors too', async () => {
    const response = await harness.request('GET', '/webhooks/subscriptions');
    expect(response.status).toBe(401);
    const id = response.headers.get('x-request-id') as string;
    expect(id).toMatch(UUID);
    expect(await answered(id)).toMatchObject({ status: 401 });
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['unsafe characters', 'abc def'],
    ['a log-breaking value', 'x"}\\n{"level":60'],
    ['empty', ''],
  ])('replaces an id that is %s with a fresh one and notes it', async (_what, presented) => {
    const response = await harness.request('GET', '/healthz', { headers: { 'x-request-id': presented } });
    expect(response.status).toBe(200);
    const id = response.headers.get('x-request-id') as string;
    expect(id).toMatch(UUID);
    expect(await answered(id)).toMatchObject({ requestIdReplaced: true, path: '/healthz' });
  });

  it('accepts ids up to 128 safe characters', () => {
    expect(requestIdFor('a'.repeat(128))).toEqual({ id: 'a'.repeat(128), replaced: false });
    expect(requestIdFor(undefined).replaced).toBe(false);
  });
});
