/**
 * Tracing off (no OTLP endpoint configured): nothing of OpenTelemetry is loaded, the span helpers are plain calls,
 * no interceptor is added to the worker's options. And the envelope's `traceparent`: kept when valid, ignored when
 * malformed, never part of the body.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseEnvelope } from '../../src/events/envelope';
import { activeTracing, inSpan, receivingEvent, startTracing, tracingConfigured, withTracing } from '../../src/tracing';
import { validTraceparent } from '../../src/tracing/traceparent';

const execFileAsync = promisify(execFile);
const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('tracing off', () => {
  it('is off unless an OTLP endpoint is configured, and off when OpenTelemetry is disabled', () => {
    expect(tracingConfigured({})).toBe(false);
    expect(tracingConfigured({ OTEL_SERVICE_NAME: 'x' })).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });

  it('runs span helpers as plain calls and leaves worker options as they are', async () => {
    expect(startTracing({}, 'test')).toBeNull();
    expect(activeTracing()).toBeNull();
    const options = { taskQueue: 'q', interceptors: { activity: [] } };
    expect(withTracing(options)).toBe(options);
    await expect(inSpan('x', {}, () => Promise.resolve(1))).resolves.toBe(1);
    await expect(receivingEvent(VALID, {}, () => Promise.resolve(2))).resolves.toBe(2);
  });

  // A process of its own (Jest's module registry is not Node's): the listener's and the worker's composition roots
  // loaded, tracing started from the environment, a client and worker options built as the engine builds them.
  const probe = async (env: NodeJS.ProcessEnv) => {
    const { stdout } = await execFileAsync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'test/helpers/tracing-probe.ts'], {
      cwd: path.resolve(__dirname, '..', '..'),
      env,
    });
    return JSON.parse(stdout) as { tracing: boolean; loaded: string[]; clientInterceptors: number; workerOptionsChanged: boolean };
  };
  const withoutOtel = () => Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));

  it('loads no OpenTelemetry SDK and registers no interceptor in a process without OTEL_ variables', async () => {
    expect(await probe(withoutOtel())).toEqual({
      tracing: false,
      loaded: [],
      clientInterceptors: 0,
      workerOptionsChanged: false,
      workflowModules: 0,
      activityInterceptors: 0,
      sinks: [],
    });
  }, 60_000);

  it('loads the SDK and registers the client, workflow and activity interceptors once an OTLP endpoint is set', async () => {
    const on = await probe({ ...withoutOtel(), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(on).toMatchObject({
      tracing: true,
      clientInterceptors: 1,
      workerOptionsChanged: true,
      workflowModules: 1,
      activityInterceptors: 1,
      sinks: ['exporter'],
    });
    expect(on.loaded).toEqual(
      expect.arrayContaining([
        '@opentelemetry/sdk-trace-node',
        '@opentelemetry/exporter-trace-otlp-http',
        '@temporalio/interceptors-opentelemetry',
        'src/tracing/sdk',
      ]),
    );
  }, 60_000);
});

describe('traceparent', () => {
  it.each([
    ['valid', VALID, VALID],
    [
      'a later version with more fields',
      `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra`,
      `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra`,
    ],
    ['upper case', VALID.toUpperCase(), undefined],
    ['version ff', VALID.replace(/^00/, 'ff'), undefined],
    ['version 00 with more fields', `${VALID}-extra`, undefined],
    ['a zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, undefined],
    ['a zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`, undefined],
    ['short', '00-4bf92f35-00f067aa0ba902b7-01', undefined],
    ['not a string', 42, undefined],
  ])('%s', (_name, value, expected) => {
    expect(validTraceparent(value)).toBe(expected);
  });

  const rules = { isKnownType: () => true };
  const message = (extra: Record<string, unknown>) =>
    JSON.stringify({ id: 'e1', type: 'T', accountId: 'a', occurredAt: '2026-01-01T00:00:00Z', data: { x: 1 }, ...extra });

  it('is read from the envelope and never part of the body', () => {
    const parsed = parseEnvelope(message({ traceparent: VALID }), rules);
    expect(parsed).toMatchObject({ ok: true, traceparent: VALID });
    if (!parsed.ok) throw new Error('rejected');
    expect(parsed.body).not.toContain('traceparent');
    expect(parsed.body).toBe(message({}));
    expect(parsed.envelope).not.toHaveProperty('traceparent');
  });

  it('is ignored when malformed: the event is accepted without it', () => {
    for (const traceparent of ['nonsense', 7, null, { a: 1 }]) {
      const parsed = parseEnvelope(message({ traceparent }), rules);
      expect(parsed.ok).toBe(true);
      expect(parsed).not.toHaveProperty('traceparent');
      if (parsed.ok) expect(parsed.body).toBe(message({}));
    }
  });
});
