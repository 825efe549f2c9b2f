/**
 * The API's route registry for the OpenAPI document. Each router's `*.openapi.ts` file describes its routes with
 * the same zod schemas the handlers validate with, and registers them here when the router module is loaded
 * (`import './subscriptions.openapi'` at the top of the router): a new router adds itself the same way, and
 * test/integration/openapi.test.ts fails for any route of the app that is missing from the document.
 */
import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseDoc {
  readonly description: string;
  /** The body's schema; none for an empty answer (204, 202 without a body). */
  readonly schema?: z.ZodType;
  readonly example?: unknown;
  /** Response headers worth naming (e.g. Location), name -> description. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Not JSON (e.g. the Prometheus text format). */
  readonly contentType?: string;
}

export interface RouteDoc {
  readonly method: HttpMethod;
  /** The full path as express matches it, e.g. `/webhooks/subscriptions/:id`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /** `apiKey`: `Authorization: Bearer <api key>`. */
  readonly auth: 'apiKey' | 'none';
  /** Path parameters by name, with their description. */
  readonly params?: Readonly<Record<string, string>>;
  /** The query schema (a zod object of strings, as express parses query strings). */
  readonly query?: z.ZodObject;
  readonly body?: { readonly schema: z.ZodType; readonly required?: boolean; readonly example?: unknown };
  /** Success answers by status. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Error statuses this route answers, in the shared error shape (401 and 429 are added for `apiKey` routes). */
  readonly errors?: readonly number[];
}

const routes = new Map<string, RouteDoc>();

const keyOf = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

/** Registers routes (the same method and path again replaces the earlier description). */
export function documentRoutes(docs: readonly RouteDoc[]): void {
  for (const doc of docs) routes.set(keyOf(doc.method, doc.path), doc);
}

/** Every registered route, in registration order. */
export function documentedRoutes(): readonly RouteDoc[] {
  return [...routes.values()];
}

export function findRouteDoc(method: string, path: string): RouteDoc | undefined {
  return routes.get(keyOf(method, path));
}

/** Schemas shown once under components.schemas and referenced by name wherever they appear at the top level. */
const components = new Map<z.ZodType, string>();

export function documentComponent<S extends z.ZodType>(name: string, schema: S): S {
  components.set(schema, name);
  return schema;
}

export function documentedComponents(): ReadonlyMap<z.ZodType, string> {
  return components;
}
