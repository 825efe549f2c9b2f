/** bench --tracing's OTLP receiver: answers each export at once and counts exports, bytes and spans. */
import { startOtlpSink } from '../../bench/otlp-sink';

describe('bench OTLP sink', () => {
  it('answers exports with 200 and counts their spans', async () => {
    const sink = await startOtlpSink();
    try {
      const span = (id: string) => ({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: id, name: 'x', kind: 1 });
      const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span('00f067aa0ba902b7'), span('00f067aa0ba902b8')] }] }] });
      const response = await fetch(`${sink.endpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({});
      expect(sink.counts()).toEqual({ exports: 1, bytes: body.length, spans: 2 });
    } finally {
      await sink.close();
    }
  });
});
