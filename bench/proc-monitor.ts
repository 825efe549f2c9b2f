/**
 * Samples CPU time and memory of groups of processes from /proc while the benchmark runs. A group is a function
 * returning its current pids (fixed children, the Temporal server and its descendants, the Postgres backends
 * serving the benchmark's database, redis-server). Sampling twice a second keeps the last cumulative CPU of a pid
 * that exits between two snapshots (pool connections close when idle), losing at most half a second of it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpuTicksBetween, parseProcStat, parseStatusKb } from './stats';

export type PidSource = () => Promise<number[]> | number[];

export interface GroupSnapshot {
  ticks: Map<number, number>;
}

export interface GroupMemory {
  /** Largest VmHWM (kB) of any one process seen in the group. */
  peakRssKbMax: number;
  /** Largest sampled sum of VmRSS (kB) over the group's processes. */
  peakRssKbSum: number;
  processes: number;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function readTicks(pid: number): number | undefined {
  try {
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return stat.utime + stat.stime;
  } catch {
    return undefined;
  }
}

function readStatus(pid: number): { hwm?: number; rss?: number } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { hwm: parseStatusKb(text, 'VmHWM'), rss: parseStatusKb(text, 'VmRSS') };
  } catch {
    return {};
  }
}

/** The pid and every descendant of it (by walking /proc's parent pids). */
export function withDescendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parentOf.set(Number(entry), parseProcStat(readFileSync(`/proc/${entry}/stat`, 'utf8')).ppid);
    } catch {
      // The process exited while we listed /proc.
    }
  }
  const found = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found].filter((pid) => parentOf.has(pid));
}

class Group {
  readonly lastTicks = new Map<number, number>();
  readonly seen = new Set<number>();
  peakRssKbMax = 0;
  peakRssKbSum = 0;
  constructor(readonly source: PidSource) {}
}

export class ProcMonitor {
  private readonly groups = new Map<string, Group>();
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<void> = Promise.resolve();

  add(name: string, source: PidSource): void {
    this.groups.set(name, new Group(source));
  }

  remove(name: string): void {
    this.groups.delete(name);
  }

  start(intervalMs = 500): void {
    this.stop();
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sampleAll()).catch(() => undefined);
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Samples now and returns each group's cumulative ticks per pid. */
  async snapshot(): Promise<Map<string, GroupSnapshot>> {
    this.sampling = this.sampling.then(() => this.sampleAll()).catch(() => undefined);
    await this.sampling;
    const result = new Map<string, GroupSnapshot>();
    for (const [name, group] of this.groups) result.set(name, { ticks: new Map(group.lastTicks) });
    return result;
  }

  /** CPU seconds per group between two snapshots. */
  static cpuSecondsBetween(before: Map<string, GroupSnapshot>, after: Map<string, GroupSnapshot>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, snap] of after) {
      out[name] = cpuTicksBetween(before.get(name)?.ticks ?? new Map(), snap.ticks) / CLOCK_TICKS;
    }
    return out;
  }

  memory(name: string): GroupMemory | undefined {
    const group = this.groups.get(name);
    if (!group) return undefined;
    return { peakRssKbMax: group.peakRssKbMax, peakRssKbSum: group.peakRssKbSum, processes: group.seen.size };
  }

  private async sampleAll(): Promise<void> {
    for (const group of this.groups.values()) {
      let pids: number[];
      try {
        pids = await group.source();
      } catch {
        continue;
      }
      let rssSum = 0;
      for (const pid of pids) {
        const ticks = readTicks(pid);
        if (ticks === undefined) continue;
        group.lastTicks.set(pid, ticks);
        group.seen.add(pid);
        const { hwm, rss } = readStatus(pid);
        rssSum += rss ?? 0;
        group.peakRssKbMax = Math.max(group.peakRssKbMax, hwm ?? 0, rss ?? 0);
      }
      group.peakRssKbSum = Math.max(group.peakRssKbSum, rssSum);
    }
  }
}
