/**
 * `cli events publish --account <accountId> --type <type> [--data '<json>'] [--ordering-key <key>]`: builds an envelope with a fresh id and
 * occurredAt, checks it with the listener's own rules (so a bad one is refused here, before anything is written),
 * and adds it to the stream (`XADD <WEBHOOKS_REDIS_STREAM> * event <json>`). Prints the event id alone on stdout.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { createRedisClient, describeRedisTarget } from '../redis/clients';
import { UsageError, type CliOutput } from '../shared/cli';
import { MAX_ENVELOPE_BYTES, parseEnvelope } from './envelope';
import { EVENT_CATALOG, isKnownEventType } from './event-catalog';

export const EVENTS_USAGE = [
  'usage:',
  "  cli events publish --account <accountId> --type <type> [--data '<json object>'] [--ordering-key <key>]",
  '      adds one event to the stream (WEBHOOKS_REDIS_STREAM); prints its id alone on stdout',
  '      --ordering-key: the lane of the event on ordered subscriptions (a conversation id, say)',
].join('\n');

export interface PublishCommand {
  readonly action: 'publish';
  /** The serialised envelope, already validated. */
  readonly body: string;
  readonly eventId: string;
}

const FLAGS = ['account', 'type', 'data', 'ordering-key'] as const;
type Flag = (typeof FLAGS)[number];

/** Parses argv after `events`. Throws UsageError (naming the problem) on any bad input. */
export function parseEventsCommand(
  args: readonly string[],
  newId: () => string = () => `evt_${randomUUID()}`,
  now: () => Date = () => new Date(),
): PublishCommand {
  const [action, ...rest] = args;
  if (action !== 'publish') throw new UsageError(action ? `unknown events command "${action}"` : 'missing events command');
  const flags = readFlags(rest);
  if (flags.account === undefined) throw new UsageError('events publish needs --account <accountId>');
  if (flags.type === undefined) throw new UsageError('events publish needs --type <type>');
  if (!isKnownEventType(flags.type)) {
    throw new UsageError(`unknown event type "${flags.type}"; known types: ${EVENT_CATALOG.map((t) => t.type).join(', ')}`);
  }
  let data: unknown = {};
  if (flags.data !== undefined) {
    try {
      data = JSON.parse(flags.data);
    } catch (error) {
      throw new UsageError(`--data is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UsageError('--data must be a JSON object');
  }
  const eventId = newId();
  const parsed = parseEnvelope(
    JSON.stringify({
      id: eventId,
      type: flags.type,
      accountId: flags.account,
      occurredAt: now().toISOString(),
      data,
      orderingKey: flags['ordering-key'],
    }),
    { isKnownType: isKnownEventType, maxBytes: MAX_ENVELOPE_BYTES },
  );
  if (!parsed.ok) throw new UsageError(parsed.reason.replace(/^invalid envelope: /, ''));
  return { action: 'publish', body: parsed.body, eventId };
}

function readFlags(args: readonly string[]): Partial<Record<Flag, string>> {
  const flags: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    const match = /^--([a-z]+(?:-[a-z]+)*)(?:=(.*))?$/s.exec(arg);
    if (!match || !(FLAGS as readonly string[]).includes(match[1])) throw new UsageError(`unexpected argument "${arg}"`);
    const name = match[1] as Flag;
    if (flags[name] !== undefined) throw new UsageError(`--${name} given twice`);
    let value = match[2];
    if (value === undefined) {
      value = args[i + 1];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      i += 1;
    }
    flags[name] = value;
  }
  return flags;
}

/** Adds the event to the stream; 0 on success, 1 when Redis fails or no stream is configured. */
export async function runEventsCommand(
  command: PublishCommand,
  config: Pick<Config, 'redisUrl' | 'redisTopology' | 'redisStream'>,
  out: CliOutput,
): Promise<number> {
  if (!config.redisStream) {
    out.stderr('WEBHOOKS_REDIS_STREAM is empty: there is no stream to publish to\n');
    return 1;
  }
  const redis = createRedisClient(config, {
    connectionName: 'webhooks-cli',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 5_000,
    maxReconnectDelayMs: null,
  });
  let connectionError: string | null = null;
  redis.on('error', (error: Error) => {
    connectionError = error.message;
  });
  try {
    await redis.connect();
    const entryId = await redis.call('XADD', config.redisStream.key, '*', 'event', command.body);
    out.stdout(`${command.eventId}\n`);
    out.stderr(`added to ${config.redisStream.key} as entry ${String(entryId)}\n`);
    return 0;
  } catch (error) {
    const reason = connectionError ?? (error as Error).message;
    out.stderr(`could not add the event to the stream at ${describeRedisTarget(config)}: ${reason}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}
