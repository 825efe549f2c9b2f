/**
 * GET /openapi.json against the app itself: every route express serves is in the document (and nothing else is),
 * every example in the document validates against both the document's JSON Schema and the zod schema it came
 * from, and real answers of the API validate against the documented answer schemas.
 */
import type { Express } from 'express';
import { z } from 'zod';
import { createApp } from '../../src/api/app';
import { createDeliveriesRouter } from '../../src/api/deliveries.router';
import { openApiPath } from '../../src/api/openapi/openapi-document';
import { documentedRoutes, findRouteDoc } from '../../src/api/openapi/route-docs';
import { errorBodySchema } from '../../src/api/responses.schemas';
import { loadConfig, requireEncryptionKey } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { createDataSource } from '../../src/app/data-source';
import { createLogger } from '../../src/logger';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness';

type Json = Record<string, any>;

interface ExpressLayer {
  rawPath?: string;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { stack?: ExpressLayer[] };
}

/** Every (method, path) the app routes, from express's own router stack. */
function routesOf(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: ExpressLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route && typeof layer.route.path === 'string') {
        for (const method of Object.keys(layer.route.methods)) found.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
      } else if (layer.handle?.stack) {
        const mount = layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: ExpressLayer[] } }).router.stack, '');
  return [...new Set(found)].sort();
}

/** Replaces every `$ref` into components with the component itself (the document has no cycles). */
function deref(schema: unknown, doc: Json): unknown {
  if (Array.isArray(schema)) return schema.map((item) => deref(item, doc));
  if (!schema || typeof schema !== 'object') return schema;
  const object = schema as Json;
  if (typeof object.$ref === 'string') {
    const name = /^#\/components\/schemas\/(.+)$/.exec(object.$ref)?.[1];
    if (!name || !doc.components.schemas[name]) throw new Error(`unresolvable $ref ${object.$ref}`);
    return deref(doc.components.schemas[name], doc);
  }
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, deref(value, doc)]));
}

/** Validates `value` against a JSON Schema of the document. */
function validatesAgainst(jsonSchema: unknown, value: unknown, doc: Json) {
  return z.fromJSONSchema(deref(jsonSchema, doc) as never).safeParse(value);
}

describe('GET /openapi.json', () => {
  let harness: ApiHarness;
  let doc: Json;
  let app: Express;
  const dataSource = createDataSource(process.env.DATABASE_URL as string, { poolSize: 1 });

  beforeAll(async () => {
    harness = await startApiHarness();
    const response = await harness.request('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    doc = response.body;
    // The app as the API process builds it, with the deliveries routes (never called here).
    await dataSource.initialize();
    const config = loadConfig(process.env);
    app = createApp({
      dataSource,
      config,
      logger: createLogger('openapi-test', 'silent'),
      secretBox: createSecretBox(requireEncryptionKey(config)),
      urlGuard: async () => ({ allowed: true }),
      readiness: async () => ({ ok: true, checks: {} }),
      deliveries: createDeliveriesRouter({
        deliveries: {} as never,
        findSubscription: async () => null,
        redeliver: async () => ({ outcome: 'running' }),
        sendTestEvent: async () => {
          throw new Error('not called here');
        },
      }),
    });
  });
  afterAll(async () => {
    await harness?.close();
    await dataSource.destroy();
  });

  it('is an OpenAPI 3.1 document with unique operation ids, bearer auth and the shared error shape', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'webhooks-engine', version: expect.any(String) });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message', 'details']);
    const operations = Object.values(doc.paths as Record<string, Json>).flatMap((item) => Object.values(item)) as Json[];
    const ids = operations.map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const op of operations) {
      expect(op.responses['500'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
      if (op.security.length > 0) expect(op.responses['401']).toBeDefined();
    }
  });

  it('documents every route the app serves, and only those', () => {
    const served = routesOf(app);
    // The portal page and its static files are a browser page; /portal/api is the same handlers as /webhooks.
    const apiRoutes = served.filter((route) => !route.split(' ')[1].startsWith('/portal'));
    const documented = Object.entries(doc.paths as Record<string, Json>)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(apiRoutes.map((route) => route.replace(/:([A-Za-z0-9_]+)/g, '{$1}')).sort()).toEqual(documented);
    for (const alias of served.filter((route) => route.includes(' /portal/api/'))) {
      const [method, path] = alias.split(' ');
      expect(findRouteDoc(method, path.replace('/portal/api/', '/webhooks/'))).toBeDefined();
    }
    expect(apiRoutes.length).toBeGreaterThanOrEqual(16);
  });

  it("has examples that validate against the document's schemas and the zod schemas they came from", () => {
    let checked = 0;
    for (const route of documentedRoutes()) {
      const op = doc.paths[openApiPath(route.path)][route.method] as Json;
      const requestMedia = op.requestBody?.content?.['application/json'];
      if (route.body?.example !== undefined) {
        expect(route.body.schema.safeParse(route.body.example).error).toBeUndefined();
        expect(validatesAgainst(requestMedia.schema, requestMedia.example, doc).error).toBeUndefined();
        checked += 1;
      }
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
        const media = response.content?.['application/json'];
        if (media?.example === undefined) continue;
        const source = route.responses[Number(status)]?.schema ?? errorBodySchema;
        const fromZod = source.safeParse(media.example);
        const fromDoc = validatesAgainst(media.schema, media.example, doc);
        if (fromZod.error || fromDoc.error) throw new Error(`${route.method} ${route.path} ${status}: ${fromZod.error ?? fromDoc.error}`);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('rejects a wrong example: the checks above can fail', () => {
    const created = doc.paths['/webhooks/subscriptions'].post.responses['201'].content['application/json'];
    expect(validatesAgainst(created.schema, { ...created.example, isActive: 'yes' }, doc).success).toBe(false);
    expect(validatesAgainst(created.schema, { ...created.example, extra: 1 }, doc).success).toBe(false);
    const body = doc.paths['/webhooks/subscriptions'].post.requestBody.content['application/json'];
    expect(validatesAgainst(body.schema, { events: ['*'] }, doc).success).toBe(false);
  });

  it('describes the real answers of the API', async () => {
    const { key } = await harness.newAccount('openapi');
    const answer = async (method: string, template: string, path: string, body?: unknown) => {
      const response = await harness.request(method, path, { key, body });
      const routeDoc = findRouteDoc(method, template);
      const documented = routeDoc?.responses[response.status];
      if (documented && !documented.schema) {
        expect(response.text).toBe('');
        return response;
      }
      const parsed = (documented?.schema ?? errorBodySchema).safeParse(response.body);
      if (parsed.error) throw new Error(`${method} ${path} answered ${response.status} not as documented: ${parsed.error.message}`);
      const documentedStatuses = Object.keys(doc.paths[openApiPath(template)][method.toLowerCase()].responses);
      expect(documentedStatuses).toContain(String(response.status));
      return response;
    };
    const created = await answer('POST', '/webhooks/subscriptions', '/webhooks/subscriptions', {
      url: 'http://127.0.0.1:9/hook',
      events: ['CONVERSATION_CREATED'],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await answer('GET', '/webhooks/subscriptions', '/webhooks/subscriptions?limit=5')).status).toBe(200);
    expect((await answer('GET', '/webhooks/subscriptions/:id', `/webhooks/subscriptions/${id}`)).status).toBe(200);
    expect((await answer('PATCH', '/webhooks/subscriptions/:id', `/webhooks/subscriptions/${id}`, { description: null })).status).toBe(200);
    expect(
      (await answer('POST', '/webhooks/subscriptions/:id/secret/rotate', `/webhooks/subscriptions/${id}/secret/rotate`, {})).status,
    ).toBe(200);
    expect((await answer('GET', '/webhooks/event-types', '/webhooks/event-types')).status).toBe(200);
    expect((await answer('POST', '/webhooks/portal-sessions', '/webhooks/portal-sessions', {})).status).toBe(201);
    expect((await answer('POST', '/webhooks/subscriptions', '/webhooks/subscriptions', { url: 'ftp://x', events: [] })).status).toBe(400);
    expect(
      (await answer('GET', '/webhooks/subscriptions/:id', '/webhooks/subscriptions/3a1c6a3e-8d4f-4c3b-9a55-6c1d2e3f4a5b')).status,
    ).toBe(404);
    expect((await answer('DELETE', '/webhooks/subscriptions/:id', `/webhooks/subscriptions/${id}`)).status).toBe(204);
    const health = await harness.request('GET', '/healthz');
    expect(findRouteDoc('GET', '/healthz')!.responses[200].schema!.safeParse(health.body).success).toBe(true);
  });
});
