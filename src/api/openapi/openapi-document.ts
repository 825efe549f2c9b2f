/**
 * GET /openapi.json: an OpenAPI 3.1 document built from the route registry, converting the routes' own zod schemas
 * with zod's native JSON Schema output (draft 2020-12, which OpenAPI 3.1 uses as is). Request schemas are shown as
 * the client sends them (`io: "input"`: a query's `limit` is the string it arrives as), answers as sent. Checks
 * that JSON Schema cannot express (an event type in the catalog, an SSRF-safe URL) are named in descriptions.
 */
import { z } from 'zod';
import { documentedComponents, documentedRoutes, type ResponseDoc, type RouteDoc } from './route-docs';
import { errorBodySchema } from '../responses.schemas';

type JsonSchema = Record<string, unknown>;

const ERROR_DESCRIPTIONS: Record<number, { description: string; code: string; message: string }> = {
  400: {
    description:
      'Invalid request (one detail per problem: a field, a query parameter, a path that is not valid percent-encoded UTF-8, a body that is not what its Content-Encoding says), or a URL refused by the SSRF guard (target_not_allowed)',
    code: 'validation_failed',
    message: 'request body is invalid',
  },
  401: { description: 'Missing, malformed, unknown or revoked API key', code: 'unauthorized', message: 'invalid or revoked API key' },
  404: { description: "Unknown id, or another account's", code: 'not_found', message: 'subscription not found' },
  409: {
    description: 'Conflicts with the current state, or a bound would be exceeded (limit_reached; see docs/limits.md)',
    code: 'limit_reached',
    message: 'at most 100 subscriptions per account; delete a subscription before creating another',
  },
  413: { description: 'Body over 64 kB (after decompression)', code: 'payload_too_large', message: 'request body is too large' },
  415: {
    description: 'A Content-Encoding other than identity, gzip, deflate or br, or a charset other than UTF-8',
    code: 'unsupported_media_type',
    message: 'Content-Encoding is not supported; use one of identity, gzip, deflate, br',
  },
  429: { description: 'Too many requests for this key; see Retry-After', code: 'rate_limited', message: 'rate limit exceeded' },
  500: { description: 'Unexpected error (no internals in the answer)', code: 'internal_error', message: 'internal server error' },
};

/** Example answer of each error status (validated against the Error schema by the OpenAPI test). */
export function errorExample(status: number): unknown {
  const known = ERROR_DESCRIPTIONS[status];
  const details = status === 400 ? [{ field: 'events.0', message: 'unknown event type; expected one of ...' }] : [];
  return { error: { code: known?.code ?? 'error', message: known?.message ?? 'error', details } };
}

export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const name = documentedComponents().get(schema);
  if (name) return { $ref: `#/components/schemas/${name}` };
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** `/webhooks/subscriptions/:id` -> `/webhooks/subscriptions/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Sent on every answer of the account's API (/webhooks, /portal/api): some carry a secret or a token. */
const CACHE_CONTROL_DESCRIPTION = "no-store: some answers carry a signing secret or a portal token, all carry one account's data";

const REQUEST_ID_DESCRIPTION =
  "The request id: the caller's X-Request-Id when it is 1-128 of A-Z a-z 0-9 . _ : -, else a new uuid; in the API's log line too";

function responseObject(doc: ResponseDoc): JsonSchema {
  const out: JsonSchema = { description: doc.description };
  const headers: Record<string, string> = { 'X-Request-Id': REQUEST_ID_DESCRIPTION, ...doc.headers };
  if (doc.schema) {
    const media: JsonSchema = { schema: toJsonSchema(doc.schema, 'output') };
    if (doc.example !== undefined) media.example = doc.example;
    out.content = { [doc.contentType ?? 'application/json']: media };
  } else if (doc.contentType) {
    out.content = { [doc.contentType]: { schema: { type: 'string' } } };
  }
  out.headers = Object.fromEntries(
    Object.entries(headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
  );
  return out;
}

function operation(route: RouteDoc): JsonSchema {
  const parameters: JsonSchema[] = [
    {
      name: 'X-Request-Id',
      in: 'header',
      required: false,
      description: REQUEST_ID_DESCRIPTION,
      schema: { type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9._:-]{1,128}$' },
    },
  ];
  for (const [name, description] of Object.entries(route.params ?? {})) {
    parameters.push({ name, in: 'path', required: true, description, schema: { type: 'string' } });
  }
  if (route.query) {
    const query = toJsonSchema(route.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
    }
  }
  const responses: JsonSchema = {};
  const accountHeaders: Record<string, string> = route.auth === 'apiKey' ? { 'Cache-Control': CACHE_CONTROL_DESCRIPTION } : {};
  for (const [status, doc] of Object.entries(route.responses)) {
    responses[status] = responseObject({ ...doc, headers: { ...accountHeaders, ...doc.headers } });
  }
  const errors = new Set(route.errors ?? []);
  // Any path can be malformed (400); any body can be oversized (413) or in an encoding the API does not read (415).
  if (route.auth === 'apiKey') [400, 401, 429].forEach((status) => errors.add(status));
  if (route.body) [400, 413, 415].forEach((status) => errors.add(status));
  errors.add(500);
  for (const status of [...errors].sort()) {
    responses[String(status)] = responseObject({
      description: ERROR_DESCRIPTIONS[status]?.description ?? 'Error',
      schema: errorBodySchema,
      example: errorExample(status),
      headers: accountHeaders,
    });
  }
  const op: JsonSchema = { operationId: route.operationId, summary: route.summary, tags: [route.tag], responses };
  if (route.description) op.description = route.description;
  op.parameters = parameters;
  if (route.body) {
    const media: JsonSchema = { schema: toJsonSchema(route.body.schema, 'input') };
    if (route.body.example !== undefined) media.example = route.body.example;
    op.requestBody = { required: route.body.required ?? true, content: { 'application/json': media } };
  }
  op.security = route.auth === 'apiKey' ? [{ apiKey: [] }] : [];
  return op;
}

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

export function buildOpenApiDocument(info: OpenApiInfo, routes: readonly RouteDoc[] = documentedRoutes()): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method] = operation(route);
  }
  const schemas: Record<string, JsonSchema> = {};
  for (const [schema, name] of documentedComponents()) {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'output',
      unrepresentable: 'any',
    }) as JsonSchema;
    schemas[name] = rest;
  }
  return {
    openapi: '3.1.0',
    info,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key from `npm run --silent cli -- keys create --account <accountId>`',
        },
      },
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
  };
}
