/**
 * The URL judge used when a subscription is created or updated (and, synchronously, before every delivery).
 * The URL is parsed exactly as the HTTP client will parse it (WHATWG URL), so decimal, octal, hex and short IPv4
 * forms are already normalised when the host is judged.
 */
import net from 'node:net';
import { judgeAddress } from './address-policy';
import type { AllowList } from './allow-list';
import { judgeHostName } from './host-name-policy';
import type { Resolver } from './resolver';

/**
 * `onlyIfAllowListed`: the host name is one that means this machine or a private network (localhost, *.internal,
 * single-label, ...). Such a name is refused outright while SSRF_ALLOW_CIDRS is empty; with an allow-list it is
 * accepted only when every address it resolves to is covered by the list (self-hosted receivers).
 */
export type UrlVerdict =
  | { allowed: true; url: URL; onlyIfAllowListed?: string }
  | {
      allowed: false;
      /** For logs and operators: may name the address a host name resolved to. */
      reason: string;
      /**
       * For the client (the API's target_not_allowed), when it differs from `reason`: names the category (private,
       * loopback, link-local, ...) and never an address the host name resolved to, which would map the operator's
       * private network for an outsider. Absent: `reason` names nothing the client did not send.
       */
      clientReason?: string;
    };

export interface UrlPolicyOptions {
  requireHttps: boolean;
  allowList: AllowList;
}

export interface TargetCheckOptions extends UrlPolicyOptions {
  resolver: Resolver;
  /** Gives up on a resolution that takes longer (default 5000 ms). */
  resolveTimeoutMs?: number;
}

export const MAX_URL_LENGTH = 2048;

/** C0 controls, space and DEL: the WHATWG parser silently strips or removes some of these, so they are refused. */
function hasControlOrSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Syntax, scheme, credentials, host name and IP-literal checks; no network access. */
export function judgeUrl(input: string, opts: UrlPolicyOptions): UrlVerdict {
  if (input.length === 0) return refuse('empty URL');
  if (input.length > MAX_URL_LENGTH) return refuse(`URL longer than ${MAX_URL_LENGTH} characters`);
  if (hasControlOrSpace(input)) return refuse('URL contains whitespace or control characters');
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return refuse('not a valid absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse(`scheme ${url.protocol} is not allowed (http or https only)`);
  if (opts.requireHttps && url.protocol !== 'https:') return refuse('scheme http: is not allowed (https required)');
  if (url.username !== '' || url.password !== '') return refuse('credentials in the URL are not allowed');
  if (url.port === '0') return refuse('port 0 is not allowed');
  const literal = ipLiteralOf(url);
  if (literal !== undefined) {
    const verdict = judgeAddress(literal, opts.allowList);
    return verdict.allowed ? { allowed: true, url } : refuse(`address ${literal} (${verdict.reason})`);
  }
  const name = judgeHostName(url.hostname);
  if (name.allowed) return { allowed: true, url };
  return opts.allowList.size > 0 ? { allowed: true, url, onlyIfAllowListed: name.reason } : refuse(name.reason);
}

/** judgeUrl, then resolves a host name and refuses if ANY answer is forbidden (or if it does not resolve). */
export async function checkTarget(input: string, opts: TargetCheckOptions): Promise<UrlVerdict> {
  const verdict = judgeUrl(input, opts);
  if (!verdict.allowed || ipLiteralOf(verdict.url) !== undefined) return verdict;
  const hostname = verdict.url.hostname;
  let answers: Awaited<ReturnType<Resolver>>;
  try {
    answers = await withTimeout(opts.resolver(hostname), opts.resolveTimeoutMs ?? 5_000);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return refuse(`${hostname} does not resolve${code ? ` (${code})` : ''}`);
  }
  if (answers.length === 0) return refuse(`${hostname} does not resolve`);
  for (const { address } of answers) {
    if (verdict.onlyIfAllowListed !== undefined && !opts.allowList.contains(address)) {
      return refuse(
        `${verdict.onlyIfAllowListed}; resolves to ${address}, which SSRF_ALLOW_CIDRS does not cover`,
        `${verdict.onlyIfAllowListed}; it resolves to an address SSRF_ALLOW_CIDRS does not cover`,
      );
    }
    const judged = judgeAddress(address, opts.allowList);
    if (!judged.allowed)
      return refuse(`resolves to ${address} (${judged.reason})`, `${hostname} resolves to a non-public address (${judged.reason})`);
  }
  return verdict;
}

/** The IP address a URL's host names literally (brackets stripped), or undefined for a host name. */
export function ipLiteralOf(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname;
  return net.isIP(host) === 0 ? undefined : host;
}

function refuse(reason: string, clientReason?: string): UrlVerdict {
  return clientReason === undefined ? { allowed: false, reason } : { allowed: false, reason, clientReason };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error('resolution timed out'), { code: 'ETIMEOUT' })), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
