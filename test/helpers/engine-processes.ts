/**
 * The engine's composition roots as real child processes (ts-node, exactly the production entry points), with their
 * JSON log lines collected so a test can wait for one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stopProcess } from '../../tools/dev/temporal-dev-server';
import { waitFor } from './engine';

const ROOT = path.resolve(__dirname, '..', '..');

export interface EngineProcess {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: string[];
  /** Waits for a log line (from index `after`), failing early if the process exits. */
  logLine(predicate: (line: Record<string, unknown>) => boolean, after?: number, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then SIGKILL after the grace time; resolves once it exited. */
  stop(): Promise<void>;
}

export type EngineEntry = 'src/main-api.ts' | 'src/main-listener.ts' | 'src/main-worker.ts';

/** A composition root from the sources, through ts-node. */
export function spawnEngineProcess(entry: EngineEntry, env: NodeJS.ProcessEnv): EngineProcess {
  return spawnLogged(['-r', 'ts-node/register/transpile-only', entry], entry, env);
}

/** A built composition root (`npm run build` first), run by plain node as the `start:*` scripts run it. */
export function spawnBuiltProcess(entry: `dist/${string}.js`, env: NodeJS.ProcessEnv): EngineProcess {
  return spawnLogged([entry], entry, env);
}

function spawnLogged(args: string[], entry: string, env: NodeJS.ProcessEnv): EngineProcess {
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.trim()) continue;
      try {
        lines.push(JSON.parse(line));
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  return {
    child,
    lines,
    stderr,
    logLine: (predicate, after = 0, timeoutMs = 60_000) =>
      waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}: ${stderr.join('')}`);
          return lines.slice(after).find(predicate);
        },
        timeoutMs,
        `${entry} log line`,
      ),
    stop: () => (child.exitCode === null && child.signalCode === null ? stopProcess(child, 15_000) : Promise.resolve()),
  };
}
