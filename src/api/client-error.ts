/**
 * The answer to a request Node's HTTP parser refuses before express sees it (a malformed request line or header,
 * headers too large, a timeout): the API's JSON error shape instead of Node's bare status line, with the status
 * Node would have given.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

const ANSWERS: Record<string, readonly [status: number, code: string, message: string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'request headers are too large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'payload_too_large', 'chunk extensions are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request took too long to arrive'],
};
const MALFORMED = [400, 'bad_request', 'malformed HTTP request'] as const;

/** The raw HTTP/1.1 answer for a parser error code (pure, for tests). */
export function clientErrorResponse(errorCode: string | undefined): string {
  const [status, code, message] = (errorCode && ANSWERS[errorCode]) || MALFORMED;
  const body = JSON.stringify({ error: { code, message, details: [] } });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** The http server's 'clientError' listener. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Nothing can be said on a reset socket, nor once a response has begun on it (Node's own rule).
  const inResponse = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || inResponse) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(error.code));
}
