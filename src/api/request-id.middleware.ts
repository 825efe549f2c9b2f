/**
 * X-Request-Id: the API takes the caller's (or its proxy's) request id when it is safe to echo and log, or makes one,
 * returns it on every answer, and logs each answered request with it, so a client's report, a proxy's log and the
 * API's log line meet on one id.
 */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../logger';

export const REQUEST_ID_HEADER = 'X-Request-Id';
export const MAX_REQUEST_ID_LENGTH = 128;
/** Letters, digits and `-_.:` only: nothing that could break a log line or a header. */
const SAFE_REQUEST_ID = new RegExp(`^[A-Za-z0-9._:-]{1,${MAX_REQUEST_ID_LENGTH}}$`);

/** The caller's id when it is acceptable, else a fresh one (an unacceptable id is replaced, never refused). */
export function requestIdFor(presented: string | undefined): { id: string; replaced: boolean } {
  if (presented !== undefined && SAFE_REQUEST_ID.test(presented)) return { id: presented, replaced: false };
  return { id: randomUUID(), replaced: presented !== undefined };
}

export function requestIdOf(res: Response): string | undefined {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : undefined;
}

/** Probes and scrapes are logged at debug: they would drown the rest at info. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function createRequestIdMiddleware(logger: Logger): RequestHandler {
  return (req: Request, res: Response, next) => {
    const { id, replaced } = requestIdFor(req.get(REQUEST_ID_HEADER));
    res.locals.requestId = id;
    res.set(REQUEST_ID_HEADER, id);
    const started = process.hrtime.bigint();
    // Read now: routers rewrite req.path to their own mount while they handle the request.
    const path = req.path;
    res.once('finish', () => {
      // The path without its query (cursors and filters stay out of the log); never headers or bodies.
      const line = {
        requestId: id,
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
        ...(replaced ? { requestIdReplaced: true } : {}),
      };
      if (QUIET_PATHS.has(path)) logger.debug(line, 'request answered');
      else logger.info(line, 'request answered');
    });
    next();
  };
}
