import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger';
import { LimitReachedError } from '../shared/limit-reached';
import { ApiError } from './api-error';
import { requestIdOf } from './request-id.middleware';

/** Errors of express.json() (body-parser) and the router carry a client status (http-errors); body-parser's a `type`. */
interface HttpError {
  status: number;
  type?: unknown;
  code?: unknown;
}

const isClientHttpError = (error: unknown): error is HttpError =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as HttpError).status === 'number' &&
  (error as HttpError).status >= 400 &&
  (error as HttpError).status < 500;

/** Postgres unique violation: a write raced another one for the same unique value. */
const isUniqueViolation = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';

/** The answer to a path that is not valid percent-encoded UTF-8 (`/subscriptions/%E0%A4%A`). */
export const malformedPath = (): ApiError =>
  new ApiError(400, 'validation_failed', 'the request path is invalid', [
    { field: 'path', message: 'must be valid percent-encoded UTF-8' },
  ]);

export const SUPPORTED_CONTENT_ENCODINGS = 'identity, gzip, deflate, br';

/** Maps a client error of body-parser or the router (never its own message: it may quote the request). */
function clientHttpError(error: HttpError): ApiError {
  switch (error.type) {
    case 'entity.too.large':
      return new ApiError(413, 'payload_too_large', 'request body is too large');
    case 'entity.parse.failed':
      return new ApiError(400, 'validation_failed', 'request body is not valid JSON', [{ message: 'malformed JSON' }]);
    case 'encoding.unsupported':
      return new ApiError(415, 'unsupported_media_type', `Content-Encoding is not supported; use one of ${SUPPORTED_CONTENT_ENCODINGS}`, [
        { field: 'Content-Encoding', message: `must be one of ${SUPPORTED_CONTENT_ENCODINGS}` },
      ]);
    case 'charset.unsupported':
      return new ApiError(415, 'unsupported_media_type', 'the charset of Content-Type is not supported; send UTF-8 JSON', [
        { field: 'Content-Type', message: 'charset must be utf-8' },
      ]);
  }
  if (typeof error.code === 'string' && /^(Z_|ERR__ERROR|ERR_BROTLI|ERR_ZSTD)/.test(error.code)) {
    // zlib: the body is not what its Content-Encoding says (not gzip, truncated, a bad checksum).
    return new ApiError(400, 'validation_failed', 'request body could not be decoded as its Content-Encoding says', [
      { field: 'Content-Encoding', message: 'the body is not valid data of this encoding' },
    ]);
  }
  if (error instanceof URIError) return malformedPath();
  if (error.status === 400) return new ApiError(400, 'bad_request', 'the request could not be read');
  return new ApiError(error.status, 'bad_request', 'request body could not be read');
}

/** Maps whatever was thrown to the client-facing ApiError. Unknown errors become a bare 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof LimitReachedError) {
    return new ApiError(409, 'limit_reached', error.message, [{ message: `at most ${error.limit} ${error.bound}` }]);
  }
  if (isClientHttpError(error)) return clientHttpError(error);
  if (isUniqueViolation(error)) return new ApiError(409, 'conflict', 'the resource conflicts with an existing one');
  return new ApiError(500, 'internal_error', 'internal server error');
}

/** Answers 400 for a path that does not decode (express would throw a URIError while matching a route). */
export const rejectMalformedPath: RequestHandler = (req, _res, next) => {
  try {
    decodeURIComponent(req.path);
  } catch {
    throw malformedPath();
  }
  next();
};

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
    res
      .status(apiError.status)
      .set(apiError.headers)
      .json({
        error: { code: apiError.code, message: apiError.message, details: apiError.details },
      });
  };
}

/** Answers 404 in the standard shape for any route nobody handled. */
export const routeNotFound: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};
