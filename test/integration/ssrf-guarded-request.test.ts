/**
 * The delivery-time guard against a real HTTP exchange: got (configured as the delivery client is: no retries,
 * no redirects, no throw on HTTP errors) with the guarded lookup, against real receivers on 127.0.0.1.
 * Stub resolvers stand in for DNS; 127.0.0.1 plays the private address.
 */
import http from 'node:http';
import { got, type Got } from '../../src/http/got';
import {
  assertIpLiteralAllowed,
  checkTarget,
  createAllowList,
  createGuardedLookup,
  findTargetNotAllowed,
  TargetNotAllowedError,
  type AllowList,
  type Resolver,
} from '../../src/http/ssrf';
import { startReceiver, type Receiver } from '../helpers/receiver';

const PUBLIC_ADDRESS = '93.184.215.14';
const HOOK_HOST = 'hooks.example.com';

/** Answers `public` on the first call and 127.0.0.1 on every later call, counting calls. */
function rebindingResolver() {
  let calls = 0;
  const resolver: Resolver = async () => {
    calls += 1;
    return [{ address: calls === 1 ? PUBLIC_ADDRESS : '127.0.0.1', family: 4 }];
  };
  return { resolver, calls: () => calls };
}

function fixedResolver(addresses: string[]) {
  let calls = 0;
  const resolver: Resolver = async () => {
    calls += 1;
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolver, calls: () => calls };
}

/**
 * A got instance configured like the delivery client, with the guarded lookup. Its own agent without keep-alive,
 * so every request opens (and looks up) a fresh connection and no test reuses another test's socket.
 */
function deliveryClient(resolver: Resolver, allowList: AllowList): Got {
  return got.extend({
    agent: { http: new http.Agent({ keepAlive: false }) },
    dnsLookup: createGuardedLookup({ resolver, allowList }),
    followRedirect: false,
    retry: { limit: 0 },
    throwHttpErrors: false,
    timeout: { request: 3_000 },
  });
}

const notAllowListed = createAllowList([]);
const loopbackAllowed = createAllowList(['127.0.0.1/32']);

describe('a request through the guarded lookup', () => {
  let receiver: Receiver;
  let other: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver({ defaultResponse: { status: 200, body: { ok: true } } });
    other = await startReceiver();
  });
  afterEach(() => {
    receiver.reset();
    other.reset();
  });
  afterAll(async () => {
    await receiver.close();
    await other.close();
  });

  const hookUrl = () => `http://${HOOK_HOST}:${receiver.port}/hook`;

  it('never reaches a private address that a rebinding name switches to after the creation check', async () => {
    const dns = rebindingResolver();
    const atCreation = await checkTarget(hookUrl(), { requireHttps: false, allowList: notAllowListed, resolver: dns.resolver });
    expect(atCreation.allowed).toBe(true);

    const client = deliveryClient(dns.resolver, notAllowListed);
    const failure = await client.post(hookUrl(), { json: { id: 'evt_1' } }).then(
      () => undefined,
      (error: unknown) => error,
    );

    const guardError = findTargetNotAllowed(failure);
    expect(guardError).toBeInstanceOf(TargetNotAllowedError);
    expect(guardError?.message).toBe('target_not_allowed: resolves to 127.0.0.1 (loopback)');
    expect(dns.calls()).toBe(2);
    expect(receiver.requests).toHaveLength(0);
  });

  it('reaches the same receiver through the same rebinding name once 127.0.0.1/32 is allow-listed', async () => {
    const dns = rebindingResolver();
    const atCreation = await checkTarget(hookUrl(), { requireHttps: false, allowList: loopbackAllowed, resolver: dns.resolver });
    expect(atCreation.allowed).toBe(true);

    const response = await deliveryClient(dns.resolver, loopbackAllowed).post(hookUrl(), { json: { id: 'evt_2' } });

    expect(response.statusCode).toBe(200);
    expect(response.ip).toBe('127.0.0.1');
    const [request] = await receiver.waitForRequests(1);
    expect(request.json()).toEqual({ id: 'evt_2' });
  });

  it('refuses a name with one public and one private answer without connecting anywhere', async () => {
    const dns = fixedResolver([PUBLIC_ADDRESS, '127.0.0.1']);
    const failure = await deliveryClient(dns.resolver, notAllowListed)
      .post(hookUrl(), { json: {} })
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(findTargetNotAllowed(failure)?.reason).toBe('resolves to 127.0.0.1 (loopback)');
    expect(failure).toMatchObject({ code: 'target_not_allowed' });
    expect(receiver.requests).toHaveLength(0);
  });

  it('connects to exactly the address it checked, resolving once per request', async () => {
    const dns = fixedResolver(['127.0.0.1']);
    const client = deliveryClient(dns.resolver, loopbackAllowed);

    const first = await client.post(hookUrl(), { json: { n: 1 } });
    const second = await client.post(hookUrl(), { json: { n: 2 } });

    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect([first.ip, second.ip]).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(dns.calls()).toBe(2);
    expect((await receiver.waitForRequests(2)).map((r) => r.headers.host)).toEqual([
      `${HOOK_HOST}:${receiver.port}`,
      `${HOOK_HOST}:${receiver.port}`,
    ]);
  });

  it.each([302, 307])(
    'does not follow a %i to 127.0.0.1: the client sees the redirect and the second receiver gets nothing',
    async (status) => {
      receiver.enqueue({ status, headers: { location: `http://127.0.0.1:${other.port}/stolen` } });
      const dns = fixedResolver(['127.0.0.1']);

      const response = await deliveryClient(dns.resolver, loopbackAllowed).post(hookUrl(), { json: { id: 'evt_3' } });

      expect(response.statusCode).toBe(status);
      expect(response.headers.location).toBe(`http://127.0.0.1:${other.port}/stolen`);
      expect(receiver.requests).toHaveLength(1);
      expect(other.requests).toHaveLength(0);
    },
  );
});

describe('IP-literal targets', () => {
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('bypass any lookup hook in Node, which is why the client must check them before connecting', async () => {
    const refuseEverything: Resolver = async () => {
      throw new TargetNotAllowedError('lookup was consulted');
    };
    const response = await deliveryClient(refuseEverything, notAllowListed).post(receiver.url, { json: {} });
    expect(response.statusCode).toBe(200);
    expect(receiver.requests).toHaveLength(1);
    receiver.reset();
  });

  it('are refused by assertIpLiteralAllowed before any connection unless allow-listed', async () => {
    const target = new URL(receiver.url);
    expect(() => assertIpLiteralAllowed(target, notAllowListed)).toThrow('target_not_allowed: address 127.0.0.1 (loopback)');
    expect(receiver.requests).toHaveLength(0);

    expect(() => assertIpLiteralAllowed(target, loopbackAllowed)).not.toThrow();
    const response = await deliveryClient(fixedResolver([]).resolver, loopbackAllowed).post(target, { json: {} });
    expect(response.statusCode).toBe(200);
    expect(receiver.requests).toHaveLength(1);
  });
});
