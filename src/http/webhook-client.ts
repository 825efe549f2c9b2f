/**
 * The outbound HTTP client for deliveries: one POST, no retries, no redirects, the whole attempt bounded by one
 * timeout, and every connection target checked by the SSRF guard (IP literals before connecting, host names in the
 * DNS lookup hook, which pins the socket to the addresses it checked). Temporal owns every retry.
 *
 * It never throws for an HTTP answer or a transport failure: it reports an AttemptResult for the classifier, the
 * duration and a capped excerpt of the response body (read at most `excerptBytes`, then the socket is dropped).
 */
import http from 'node:http';
import https from 'node:https';
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
  /** UTF-8 excerpt of the response body, at most `excerptBytes` bytes; null without a response. */
  readonly responseExcerpt: string | null;
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
      decompress: true,
      cache: false,
      dnsCache: false,
      dnsLookup: options.lookup,
      agent,
    });
    let response: { statusCode: number; headers: Record<string, string | string[] | undefined> } | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = () => {
      if (settled || !response) return;
      settled = true;
      const excerpt = Buffer.concat(chunks).subarray(0, excerptBytes).toString('utf8');
      resolve({ result: { kind: 'response', statusCode: response.statusCode, headers: response.headers }, responseExcerpt: excerpt });
      stream.destroy();
    };
    stream.on('response', (res: { statusCode: number; headers: Record<string, string | string[] | undefined> }) => {
      response = { statusCode: res.statusCode, headers: res.headers };
    });
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= excerptBytes) finish();
    });
    stream.on('end', finish);
    stream.on('error', (error: Error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
  });
}

/** Maps a transport failure to the classifier's error kinds; messages carry no request headers (no secrets). */
function failureOf(error: unknown, timeoutMs?: number): AttemptResult {
  const refused = findTargetNotAllowed(error);
  if (refused) return { kind: 'error', error: AttemptErrorKind.TARGET_NOT_ALLOWED, message: refused.message };
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
