import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { PROJECT_ROOT, readTemporalDevConfig, startDevArgs, type TemporalDevConfig } from './temporal-dev-config';

/** Path of the Temporal CLI: from PATH, TEMPORAL_CLI, or built into .tools/bin (scripts/ensure-temporal.sh). */
export function temporalCliPath(): string {
  return execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'ensure-temporal.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** True when a Temporal frontend answers at the address. */
export async function temporalAnswers(address: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

export interface RunningDevServer {
  address: string;
  uiAddress: string | null;
  namespace: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartOptions {
  config?: Partial<TemporalDevConfig>;
  headless?: boolean;
  /** File that receives the server's output; inherits stdio when absent. */
  logFile?: string;
  readyTimeoutMs?: number;
}

/** Starts `temporal server start-dev` with temporal-dev.yaml's settings (overridable) and waits until it answers. */
export async function startTemporalDevServer(options: StartOptions = {}): Promise<RunningDevServer> {
  const config = { ...readTemporalDevConfig(), ...options.config };
  if (config.dbFilename) mkdirSync(path.dirname(config.dbFilename), { recursive: true });
  const cli = temporalCliPath();
  const output = options.logFile ? openSync(options.logFile, 'a') : 'inherit';
  const child = spawn(cli, startDevArgs(config, { headless: options.headless }), {
    stdio: ['ignore', output, output],
    detached: false,
  });
  const address = `${config.ip}:${config.port}`;
  // Set by the exit handler; typed wide so that the loop below does not narrow it to null.
  let exited = null as string | null;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (!(await namespaceReady(address, config.namespace))) {
    if (exited) throw new Error(`temporal dev server ${exited} before answering on ${address}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal dev server did not answer on ${address} in time`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await setNamespaceRetention(address, config.namespace, config.namespaceRetentionDays);
  return {
    address,
    uiAddress: options.headless ? null : `http://${config.ip}:${config.uiPort}`,
    namespace: config.namespace,
    process: child,
    stop: () => stopProcess(child),
  };
}

const DAY_SECONDS = 24 * 60 * 60;

/** The namespace's retention of closed workflows (the dev server creates namespaces with 24 h). */
export async function setNamespaceRetention(address: string, namespace: string, days: number): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msToTs(days * DAY_SECONDS * 1000) },
    });
  } finally {
    await connection.close();
  }
}

async function namespaceReady(address: string, namespace: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1_000 });
    try {
      await connection.workflowService.describeNamespace({ namespace });
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process has exited. */
export function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
