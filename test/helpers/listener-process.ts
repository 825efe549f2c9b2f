/**
 * The real listener PROCESS (src/main-listener.ts, as `npm run start:listener` runs it, here through ts-node) with
 * its JSON log lines collected, for tests that kill it or measure it from the outside.
 */
import { readFileSync } from 'node:fs';
import { spawnEngineProcess, type EngineProcess } from './engine-processes';

export type ListenerProcess = EngineProcess;

export function spawnListener(env: NodeJS.ProcessEnv): ListenerProcess {
  return spawnEngineProcess('src/main-listener.ts', env);
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
