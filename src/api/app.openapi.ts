/** OpenAPI description of the routes the app itself serves (src/api/app.ts): metrics and this document. */
import { z } from 'zod';
import { documentRoutes } from './openapi/route-docs';

documentRoutes([
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics of this process (text exposition format); see docs/observability.md',
    tag: 'Operations',
    auth: 'none',
    responses: { 200: { description: 'Metrics', contentType: 'text/plain; version=0.0.4' } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    summary: 'This document',
    tag: 'Operations',
    auth: 'none',
    responses: { 200: { description: 'OpenAPI 3.1', schema: z.looseObject({ openapi: z.literal('3.1.0') }) } },
  },
]);
