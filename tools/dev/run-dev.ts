/**
 * `npm run dev`: runs the whole engine on this machine. Starts the Temporal dev server from temporal-dev.yaml
 * (unless one already answers), creates and migrates the database, then runs the API and the Redis listener (which
 * hosts the delivery worker) as child processes with prefixed output; with WEBHOOKS_LISTENER_EMBEDDED_WORKER=false
 * it runs a separate worker process instead. A child that exits unexpectedly is started again after a backoff (and
 * the runner says so), so one crash does not stop the stack. Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { migrate } from '../../src/app/migrate';
import { PROJECT_ROOT, readTemporalDevConfig } from './temporal-dev-config';
import { superviseChild } from './supervised-child';
import { startTemporalDevServer, temporalAnswers, type RunningDevServer } from './temporal-dev-server';

const DATA_DIR = path.join(PROJECT_ROOT, '.data');
const PROCESSES = [
  { name: 'api', entry: 'src/main-api.ts' },
  { name: 'listener', entry: 'src/main-listener.ts' },
  { name: 'worker', entry: 'src/main-worker.ts' },
] as const;

/** The dev-only encryption key, generated once and kept in .data/ (production sets WEBHOOKS_ENCRYPTION_KEY). */
function devEncryptionKey(): string {
  const file = path.join(DATA_DIR, 'encryption.key');
  if (!existsSync(file)) {
    mkdirSync(DATA_DIR, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

function say(line: string): void {
  process.stdout.write(`[dev] ${line}\n`);
}

function pipeWithPrefix(child: ChildProcess, name: string): void {
  const prefix = `[${name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
}

async function ensureTemporal(config: Config): Promise<RunningDevServer | null> {
  if (await temporalAnswers(config.temporal.address)) {
    say(`Temporal already answers at ${config.temporal.address}; using it`);
    return null;
  }
  const dev = readTemporalDevConfig();
  if (config.temporal.address !== `${dev.ip}:${dev.port}`) {
    throw new Error(
      `TEMPORAL_ADDRESS=${config.temporal.address} does not answer, and temporal-dev.yaml starts one at ${dev.ip}:${dev.port}`,
    );
  }
  mkdirSync(DATA_DIR, { recursive: true });
  say(`starting the Temporal dev server (state in ${path.relative(PROJECT_ROOT, dev.dbFilename ?? 'memory')})...`);
  return startTemporalDevServer({ logFile: path.join(DATA_DIR, 'temporal.log') });
}

async function main(): Promise<void> {
  const env = { ...process.env, WEBHOOKS_ENCRYPTION_KEY: process.env.WEBHOOKS_ENCRYPTION_KEY ?? devEncryptionKey() };
  const config = loadConfig(env);

  const applied = await migrate(config.databaseUrl).catch((error: Error) => {
    throw new Error(`Postgres at ${new URL(config.databaseUrl).host} is not usable: ${error.message}`);
  });
  say(applied.length ? `database migrated: ${applied.join(', ')}` : 'database is up to date');

  const temporal = await ensureTemporal(config);
  // The listener's embedded worker delivers (eager start); a separate worker only when that is switched off.
  const processes = PROCESSES.filter(({ name }) => name !== 'worker' || !config.listenerEmbeddedWorker);
  let stopping = false;
  const children = processes.map(({ name, entry }) =>
    superviseChild({
      name,
      start: () => {
        const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', entry], {
          cwd: PROJECT_ROOT,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        pipeWithPrefix(child, name);
        return child;
      },
      isStopping: () => stopping,
      say,
    }),
  );

  const ui = temporal?.uiAddress ?? `http://${readTemporalDevConfig().ip}:${readTemporalDevConfig().uiPort}`;
  say(`API:         http://${config.host}:${config.port}  (try /readyz)`);
  say(`Temporal UI: ${ui}/namespaces/${config.temporal.namespace}/workflows`);
  say(`Temporal:    ${config.temporal.address}, task queue ${config.temporal.taskQueue}`);
  say(
    `Redis:       ${new URL(config.redisUrl).host}: stream ${config.redisStream?.key ?? '(none)'}, channel ${config.redisChannel ?? '(none)'}`,
  );
  say('Ctrl-C stops everything.');

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping...');
    await Promise.all(children.map((supervised) => supervised.stop()));
    await temporal?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`[dev] ${(error as Error).message}\n`);
  process.exit(1);
});
