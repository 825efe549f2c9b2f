import type { RequestHandler } from 'express';
import type { AuthenticatedKey } from '../keys/api-key.repository';
import { ApiError } from './api-error';

export type Authenticate = (presentedKey: string) => Promise<AuthenticatedKey | null>;

/** What the auth middleware leaves for the handlers after it. */
export interface AuthLocals {
  accountId: string;
  apiKeyId: string;
}

const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message, [], { 'WWW-Authenticate': 'Bearer realm="webhooks"' });

/**
 * `Authorization: Bearer <api key>` -> `res.locals.accountId` (and `res.locals.apiKeyId`).
 * Missing, malformed, unknown and revoked keys all answer 401 with the same message for the last three.
 */
export function createAuthMiddleware(authenticate: Authenticate): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (!header) throw unauthorized('missing Authorization: Bearer <api key>');
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    const key = match ? await authenticate(match[1]) : null;
    if (!key) throw unauthorized('invalid or revoked API key');
    res.locals.accountId = key.accountId;
    res.locals.apiKeyId = key.keyId;
    next();
  };
}

/** The authenticated account of a request (set by the auth middleware). */
export function accountIdOf(res: { locals: Record<string, unknown> }): string {
  const accountId = res.locals.accountId;
  if (typeof accountId !== 'string') throw new Error('auth middleware did not run before this handler');
  return accountId;
}
