/**
 * The outbound HTTP client for deliveries: one POST, no retries, no redirects, the whole attempt bounded by one
 * timeout, and every connection target checked by the SSRF guard (IP literals before connecting, host names in the
 * DNS lookup hook, which pins the socket to the addresses it checked). Temporal owns every retry.
 *
 * It never throws for an HTTP answer or a transport failure: it reports an AttemptResult for the classifier, the
 * duration and a capped excerpt of the response body (read at most `excerptBytes`, then the socket is dropped).
 *
 * Once the status line and headers have arrived, the answer is the receiver's, whatever happens to its body: a body
 * that trickles past the timeout, a connection reset mid-body or a body that ends early keeps what arrived, and the
 * answer is reported as a response (a 2xx stays a success; `bodyError` says why the body was cut short).
 *
 * The body is not decompressed (`decompress: false`): the request then sends no Accept-Encoding, so a receiver that
 * follows HTTP answers in identity encoding, and one that compresses anyway (or sends garbage labelled gzip) has its
 * raw bytes kept. No decoding step can fail after the status line, no decompression bomb can be inflated, and no
 * zlib work is spent per attempt on an excerpt nobody may read. The excerpt is the first `excerptBytes` raw bytes
 * decoded as UTF-8: invalid sequences become U+FFFD, a character cut by the byte cap is dropped whole.
 */
import http from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { got, type RequestError } from './got';
import { AttemptErrorKind, type AttemptResult } from './outcome';
import { findTargetNotAllowed, judgeUrl, TargetNotAllowedError, type AllowList, type GuardedLookup } from './ssrf';

export const RESPONSE_EXCERPT_BYTES = 1024;

export interface WebhookRequest {
  readonly url: string;
  readonly body: Buffer | string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface WebhookAttempt {
  readonly result: AttemptResult;
  readonly durationMs: number;
  /** UTF-8 excerpt of the response body, from at most `excerptBytes` bytes; null without a response. */
  readonly responseExcerpt: string | null;
  /** Why the body of a response was cut short (timeout, reset, ...), for logs; null when it was read as far as needed. */
  readonly bodyError?: string | null;
}

export interface WebhookClient {
  post(request: WebhookRequest): Promise<WebhookAttempt>;
}

export interface WebhookClientOptions {
  /** Whole attempt, connect to last byte read (WEBHOOKS_REQUEST_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** The SSRF-guarded DNS lookup (createGuardedLookup). */
  readonly lookup: GuardedLookup;
  readonly allowList: AllowList;
  readonly requireHttps: boolean;
  readonly excerptBytes?: number;
  /** Monotonic milliseconds, injectable for tests. */
  readonly nowMs?: () => number;
}

export function createWebhookClient(options: WebhookClientOptions): WebhookClient {
  const excerptBytes = options.excerptBytes ?? RESPONSE_EXCERPT_BYTES;
  const nowMs = options.nowMs ?? (() => performance.now());
  // No keep-alive: every attempt resolves (and so re-checks) its target and opens a fresh connection.
  const agent = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };

  return {
    async post(request) {
      const started = nowMs();
      const elapsed = () => Math.max(0, Math.round(nowMs() - started));
      const verdict = judgeUrl(request.url, { allowList: options.allowList, requireHttps: options.requireHttps });
      if (!verdict.allowed) {
        return { result: failureOf(new TargetNotAllowedError(verdict.reason)), durationMs: elapsed(), responseExcerpt: null };
      }
      try {
        const answer = await send(verdict.url, request, options, agent, excerptBytes);
        return { ...answer, durationMs: elapsed() };
      } catch (error) {
        return { result: failureOf(error, options.timeoutMs), durationMs: elapsed(), responseExcerpt: null };
      }
    },
  };
}

function send(
  url: URL,
  request: WebhookRequest,
  options: WebhookClientOptions,
  agent: { http: http.Agent; https: https.Agent },
  excerptBytes: number,
): Promise<Omit<WebhookAttempt, 'durationMs'>> {
  return new Promise((resolve, reject) => {
    const stream = got.stream(url, {
      method: 'POST',
      body: request.body,
      headers: { ...request.headers },
      timeout: { request: options.timeoutMs },
      followRedirect: false,
      retry: { limit: 0 },
      throwHttpErrors: false,
      decompress: false,
      cache: false,
      dnsCache: false,
      dnsLookup: options.lookup,
      agent,
    });
    let response: { statusCode: number; headers: Record<string, string | string[] | undefined> } | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (bodyError: string | null) => {
      if (settled || !response) return;
      settled = true;
      resolve({
        result: { kind: 'response', statusCode: response.statusCode, headers: response.headers },
        responseExcerpt: utf8Excerpt(Buffer.concat(chunks, size), excerptBytes),
        bodyError,
      });
      stream.destroy();
    };
    stream.on('response', (res: { statusCode: number; headers: Record<string, string | string[] | undefined> }) => {
      response = { statusCode: res.statusCode, headers: res.headers };
    });
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      chunks.push(chunk);
      size += chunk.length;
      if (size >= excerptBytes) finish(null);
    });
    stream.on('end', () => finish(null));
    stream.on('error', (error: Error) => {
      if (settled) return;
      // The status line and headers arrived: the answer stands with the body that came (see the header comment).
      if (response) {
        finish(bodyErrorOf(error, options.timeoutMs));
        return;
      }
      settled = true;
      reject(error);
    });
  });
}

/**
 * The first `maxBytes` bytes of `body` decoded as UTF-8: invalid sequences become U+FFFD, and a character the cap cuts
 * in two is left out (the decoder keeps incomplete bytes back). At most `maxBytes` UTF-16 units, never a lone
 * surrogate (every UTF-16 unit needs at least one byte, and the decoder only yields whole characters).
 */
export function utf8Excerpt(body: Buffer, maxBytes: number): string {
  if (body.length <= maxBytes) return body.toString('utf8');
  return new StringDecoder('utf8').write(body.subarray(0, maxBytes));
}

function bodyErrorOf(error: Error, timeoutMs: number): string {
  const failure = failureOf(error, timeoutMs);
  return failure.kind === 'error' ? failure.message : 'body cut short';
}

/** Maps a transport failure to the classifier's error kinds; messages carry no request headers (no secrets). */
function failureOf(error: unknown, timeoutMs?: number): AttemptResult {
  const refused = findTargetNotAllowed(error);
  // The recorded message is the account's to read: it names the category, never the address a name resolved to.
  if (refused) return { kind: 'error', error: AttemptErrorKind.TARGET_NOT_ALLOWED, message: `target_not_allowed: ${refused.clientReason}` };
  const requestError = error as Partial<RequestError> & Error;
  const code = requestError.code ?? '';
  if (requestError.name === 'TimeoutError' || code === 'ETIMEDOUT') {
    return { kind: 'error', error: AttemptErrorKind.TIMEOUT, message: `timeout: no complete answer within ${timeoutMs} ms` };
  }
  const connection = ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED'];
  if (connection.includes(code)) {
    return { kind: 'error', error: AttemptErrorKind.CONNECTION, message: `connection error: ${code} ${requestError.message}`.trim() };
  }
  return { kind: 'error', error: AttemptErrorKind.REQUEST, message: `request error: ${code ? `${code} ` : ''}${requestError.message}` };
}
