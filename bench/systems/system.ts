/** A system under test: started fresh for its phases, as one or more processes, then stopped. */
import type { Child } from '../children';
import type { BenchEnvironment } from '../environment';

export interface SystemContext {
  env: BenchEnvironment;
  /** The Redis channel this system's listener subscribes to (unique per run and system). */
  channel: string;
  /** Extra node flags for the main worker process (e.g. --cpu-prof). */
  workerNodeArgs: string[];
  /** The receiver's webhook URL (http://127.0.0.1:<port>/hook). */
  receiverUrl: string;
  /**
   * The engine's process layout: 'embedded' (default, as the production scripts run it: the listener hosts a worker
   * and starts deliveries eagerly on it, beside a start:worker process) or 'separate' (WEBHOOKS_LISTENER_EMBEDDED_WORKER=false:
   * the listener only dispatches, the start:worker process delivers).
   */
  engineLayout?: 'embedded' | 'separate';
  /** The engine's `start:worker` processes beside its listener (default 1); the other systems ignore it. */
  workers?: number;
  /**
   * A Redis stream for the listener to read beside its channel (WEBHOOKS_REDIS_STREAM, unique to the run; the
   * ordered phase publishes on it); absent: none, the listener reads the channel only.
   */
  stream?: string;
}

export interface RunningSystem {
  /** Its processes, by role (e.g. listener, worker). */
  processes: Child[];
  stop(): Promise<void>;
}

export type SystemName = 'engine' | 'floor' | 'bullmq' | 'direct';

export interface SystemUnderTest {
  name: SystemName;
  describe: string;
  start(context: SystemContext): Promise<RunningSystem>;
}

/** The whole environment of every system process: the engine's own variables (src/config.ts), nothing inherited. */
/** OpenTelemetry's variables for every engine process of the run (`--tracing`); none by default: tracing off. */
let tracingEnv: Record<string, string> = {};

/** Every engine process started from now on traces every event (100% sampling) into the OTLP receiver at `endpoint`. */
export function traceEngineInto(endpoint: string): void {
  tracingEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'always_on' };
}

export function engineEnv(context: SystemContext, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { env } = context;
  return {
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    WEBHOOKS_REDIS_CHANNEL: context.channel,
    // The benchmark publishes on Pub/Sub; its listener never joins the default stream's group, only a run's own stream.
    WEBHOOKS_REDIS_STREAM: context.stream ?? '',
    TEMPORAL_ADDRESS: env.temporal.address,
    TEMPORAL_NAMESPACE: env.temporal.namespace,
    TEMPORAL_TASK_QUEUE: `bench-${env.runId}`,
    WEBHOOKS_ENCRYPTION_KEY: env.encryptionKey,
    // The receiver listens on loopback, which the SSRF guard refuses unless allowed.
    SSRF_ALLOW_CIDRS: '127.0.0.1/32',
    LOG_LEVEL: 'warn',
    // /metrics on free ports (never the defaults a running `npm run dev` holds); no SDK exporter.
    WEBHOOKS_LISTENER_METRICS_PORT: '0',
    WEBHOOKS_WORKER_METRICS_PORT: '0',
    WEBHOOKS_WORKER_SDK_METRICS_PORT: '0',
    ...tracingEnv,
    ...extra,
  };
}
