/**
 * The real listener PROCESS (src/main-listener.ts, as `npm run start:listener` runs it, here through ts-node) with
 * its JSON log lines collected, for tests that kill it or measure it from the outside.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from './engine';

const ROOT = path.resolve(__dirname, '..', '..');

export interface ListenerProcess {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: string[];
  logLine(predicate: (line: Record<string, unknown>) => boolean, after?: number, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function spawnListener(env: NodeJS.ProcessEnv): ListenerProcess {
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const child: ChildProcess = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main-listener.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
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
  const logLine = (predicate: (line: Record<string, unknown>) => boolean, after = 0, timeoutMs = 30_000) =>
    waitFor(() => {
      if (child.exitCode !== null) throw new Error(`listener exited with ${child.exitCode}: ${stderr.join('')}`);
      return lines.slice(after).find(predicate);
    }, timeoutMs, 'listener log line');
  return { child, lines, stderr, logLine };
}

/** Resident set of a live process from /proc, in KiB: now (VmRSS) and its peak so far (VmHWM). */
export function residentKiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}
