import { clientErrorResponse } from '../../src/api/client-error';

function parse(raw: string): { status: string; headers: string; body: any } {
  const [head, body] = raw.split('\r\n\r\n');
  const [status, ...headers] = head.split('\r\n');
  return { status, headers: headers.join('\n'), body: JSON.parse(body) };
}

describe('clientErrorResponse', () => {
  it('answers a malformed request with a JSON 400 in the API error shape', () => {
    const answer = parse(clientErrorResponse('HPE_INVALID_METHOD'));
    expect(answer.status).toBe('HTTP/1.1 400 Bad Request');
    expect(answer.body).toEqual({ error: { code: 'bad_request', message: 'malformed HTTP request', details: [] } });
    expect(answer.headers).toContain('Content-Type: application/json');
    expect(answer.headers).toContain('Connection: close');
  });

  it('keeps 431 for headers too large and 413 for oversized chunk extensions', () => {
    expect(parse(clientErrorResponse('HPE_HEADER_OVERFLOW')).status).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(parse(clientErrorResponse('HPE_CHUNK_EXTENSIONS_OVERFLOW')).status).toBe('HTTP/1.1 413 Payload Too Large');
  });

  it('states a Content-Length that matches the body', () => {
    const raw = clientErrorResponse(undefined);
    const length = Number(/Content-Length: (\d+)/.exec(raw)?.[1]);
    expect(Buffer.byteLength(raw.split('\r\n\r\n')[1])).toBe(length);
  });
});
