import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger';
import { ApiError } from './api-error';
import { requestIdOf } from './request-id.middleware';

/** Errors thrown by express.json() (body-parser) carry a `type` and a client status. */
interface BodyParserError {
  type: string;
  status: number;
}

const isBodyParserError = (error: unknown): error is BodyParserError =>
  typeof error === 'object' && error !== null && typeof (error as BodyParserError).type === 'string' &&
  typeof (error as BodyParserError).status === 'number';

/** Postgres unique violation: a write raced another one for the same unique value. */
const isUniqueViolation = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';

/** Maps whatever was thrown to the client-facing ApiError. Unknown errors become a bare 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isBodyParserError(error)) {
    if (error.type === 'entity.too.large') return new ApiError(413, 'payload_too_large', 'request body is too large');
    if (error.type === 'entity.parse.failed') return new ApiError(400, 'validation_failed', 'request body is not valid JSON', [{ message: 'malformed JSON' }]);
    if (error.status >= 400 && error.status < 500) return new ApiError(error.status, 'bad_request', 'request body could not be read');
  }
  if (isUniqueViolation(error)) return new ApiError(409, 'conflict', 'the resource conflicts with an existing one');
  return new ApiError(500, 'internal_error', 'internal server error');
}

/** The one error middleware: every error answer of the API has the shape `{"error": {code, message, details}}`. */
export function createErrorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const apiError = toApiError(error);
    if (apiError.status >= 500) {
      // The error itself is logged (never the request body or headers, which may hold secrets).
      logger.error({ err: error, requestId: requestIdOf(res), method: req.method, path: req.path }, 'request failed');
    }
    res.status(apiError.status).set(apiError.headers).json({
      error: { code: apiError.code, message: apiError.message, details: apiError.details },
    });
  };
}

/** Answers 404 in the standard shape for any route nobody handled. */
export const routeNotFound: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};
