/**
 * A subscription's custom `headers`, sent on every attempt. Their values are secrets to the receiver (tokens, basic
 * auth): stored as one AES-256-GCM envelope of the JSON object, bound to the subscription (src/crypto/secret-box.ts),
 * opened only to sign an attempt or to answer the account; never logged.
 */
import type { SecretBox } from '../crypto/secret-box';

export type CustomHeaders = Readonly<Record<string, string>>;

export const HEADER_LIMITS = {
  maxCount: 20,
  maxNameLength: 64,
  maxValueLength: 1024,
} as const;

/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII, space and tab; no CR, LF, NUL or other control characters (and nothing Node would refuse to send). */
const VALUE = /^[\t\x20-\x7e]*$/;

/** Names the engine sets itself, or that belong to the connection: refused, whatever their case. */
const RESERVED_NAMES = new Set([
  'content-type',
  'content-length',
  'user-agent',
  'x-hub-signature-256',
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'upgrade',
  'trailer',
]);
const RESERVED_PREFIXES = ['x-webhook-', 'webhook-', 'proxy-'];

export function isReservedHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_NAMES.has(lower) || RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

export interface HeaderProblem {
  /** The header's name as given; absent for the object as a whole. */
  readonly name?: string;
  readonly message: string;
}

/** The first problem of `headers` (already an object of strings), or null. */
export function checkHeaders(headers: Readonly<Record<string, string>>): HeaderProblem | null {
  const names = Object.keys(headers);
  if (names.length > HEADER_LIMITS.maxCount) return { message: `must hold at most ${HEADER_LIMITS.maxCount} headers` };
  const seen = new Set<string>();
  for (const name of names) {
    const value = headers[name] as string;
    if (name.length === 0 || name.length > HEADER_LIMITS.maxNameLength || !TOKEN.test(name)) {
      return {
        name,
        message: `header name must be 1 to ${HEADER_LIMITS.maxNameLength} token characters (letters, digits, !#$%&'*+.^_\`|~-)`,
      };
    }
    if (isReservedHeaderName(name)) return { name, message: 'reserved header name: the engine sets it (or it belongs to the connection)' };
    const lower = name.toLowerCase();
    if (seen.has(lower)) return { name, message: 'header names must differ in more than case' };
    seen.add(lower);
    if (value.length > HEADER_LIMITS.maxValueLength)
      return { name, message: `header value must be at most ${HEADER_LIMITS.maxValueLength} characters` };
    if (!VALUE.test(value))
      return { name, message: 'header value must be visible ASCII, spaces and tabs (no CR, LF or other control characters)' };
  }
  return null;
}

const aadOf = (subscriptionId: string) => `${subscriptionId}:headers`;

/** The sealed column value; null (no envelope at all) for null or no headers. */
export function sealHeaders(box: SecretBox, subscriptionId: string, headers: CustomHeaders | null): string | null {
  if (headers === null || Object.keys(headers).length === 0) return null;
  return box.seal(JSON.stringify(headers), aadOf(subscriptionId));
}

export function openHeaders(box: SecretBox, subscriptionId: string, sealed: string | null): CustomHeaders | null {
  if (sealed === null) return null;
  return JSON.parse(box.open(sealed, aadOf(subscriptionId))) as CustomHeaders;
}
