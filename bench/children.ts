/**
 * Every process the benchmark starts goes through here, so all of them are stopped on success, on error, on
 * Ctrl-C and on a crash of the benchmark itself. Node children run the same way for the engine and both baselines
 * (compiled JavaScript by default, or ts-node), so start-up costs and memory are comparable.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { stopProcess as stopChild } from '../tools/dev/temporal-dev-server';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
/** Where bench/build.ts puts the compiled project (dist/ is not tracked). */
export const BUILD_ROOT = path.join(PROJECT_ROOT, 'dist', 'bench');
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];

/** 'built': run the compiled JavaScript under BUILD_ROOT (default); 'ts-node': run the sources through ts-node. */
let runMode: 'built' | 'ts-node' = 'built';
export function setRunMode(mode: 'built' | 'ts-node'): void {
  runMode = mode;
}

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  logFile: string;
  stop(graceMs?: number): Promise<void>;
  exited(): boolean;
}

const running = new Set<ChildProcess>();

function killAllNow(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

process.once('exit', killAllNow);

/** Registers a process started elsewhere (the Temporal dev server) so it is killed with the rest. */
export function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

function wrap(name: string, child: ChildProcess, logFile: string): Child {
  track(child);
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  const pid = child.pid;
  return {
    name,
    process: child,
    pid,
    logFile,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: (graceMs = 10_000) => stopChild(child, graceMs),
  };
}

export interface NodeChildOptions {
  env: NodeJS.ProcessEnv;
  logDir: string;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  args?: string[];
  /** Open an IPC channel (child_process.fork). */
  ipc?: boolean;
}

/**
 * Runs an entry point of this project (named by its .ts path) in its own Node process, as compiled JavaScript or
 * through ts-node (see setRunMode), output to `<logDir>/<name>.log`.
 */
export function startNodeChild(name: string, entry: string, options: NodeChildOptions): Child {
  const logFile = path.join(options.logDir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const built = runMode === 'built';
  const file = built ? path.join(BUILD_ROOT, entry.replace(/\.ts$/, '.js')) : path.resolve(PROJECT_ROOT, entry);
  const execArgv = [...(built ? [] : TS_NODE), ...(options.nodeArgs ?? [])];
  const env = built
    ? { ...options.env }
    : { ...options.env, TS_NODE_TRANSPILE_ONLY: 'true', TS_NODE_PROJECT: path.join(PROJECT_ROOT, 'tsconfig.json') };
  const child = options.ipc
    ? fork(file, options.args ?? [], { cwd: PROJECT_ROOT, env, execArgv, stdio: ['ignore', out, out, 'ipc'] })
    : spawn(process.execPath, [...execArgv, file, ...(options.args ?? [])], { cwd: PROJECT_ROOT, env, stdio: ['ignore', out, out] });
  return wrap(name, child, logFile);
}

/** Stops every child still running (used by the top-level error path and signal handlers). */
export async function stopAll(graceMs = 5_000): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child, graceMs)));
}
