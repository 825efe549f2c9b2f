/**
 * `--tracing`: a local OTLP/HTTP receiver for the engine's traces, in the benchmark's process on 127.0.0.1. It
 * answers every export at once and keeps only counts (exports, bytes, spans), so the run measures the engine's cost
 * of tracing (SDK, interceptors, batching, export) and not a tracing backend's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  /** `http://127.0.0.1:<port>`: the engine's OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  counts(): { readonly exports: number; readonly bytes: number; readonly spans: number };
  close(): Promise<void>;
}

const SPAN_ID = /"spanId"/g;

export async function startOtlpSink(): Promise<OtlpSink> {
  const counts = { exports: 0, bytes: 0, spans: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      counts.exports += 1;
      counts.bytes += body.length;
      // Each span has one spanId key (links are not used); cheaper than parsing the export.
      counts.spans += body.match(SPAN_ID)?.length ?? 0;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
