/**
 * The floor: what Temporal alone costs for the engine's delivery shape, on the same dev server in the same run.
 * The engine's own Redis listener hands each event straight to the engine's own delivery starter (same start
 * request: deterministic id, search attributes, workflow-task timeout, eager start) onto the engine's own embedded
 * worker running the engine's own deliverWebhookWorkflow, but with a no-op sendWebhook: no Postgres, no event store,
 * no subscription lookup, no signing, no HTTP. The activity only notes when it ran; those receipts reach the
 * receiver in batches (POST /floor-receipts every 20 ms), so the floor is measured by the same phases as the rest.
 * The engine divided by this row is the engine's own overhead.
 */
import { temporalConnections } from '../../src/temporal/connections';
import { loadConfig } from '../../src/config';
import { createDeliveryStarter } from '../../src/deliveries/delivery-starter';
import { startRedisListener } from '../../src/events/redis-listener';
import { createLogger } from '../../src/logger';
import { startEmbeddedWorker } from '../../src/worker/embedded-worker';
import type { DeliveryActivities } from '../../activities';
import { argValue, exitOnSignal } from './baseline-intake';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('bench-floor', config.logLevel);
  const receiptsUrl = argValue('receipts-url');
  const subscriptionId = argValue('subscription-id');
  const targetUrl = argValue('target-url');

  const scheduledAt = new Map<string, number>();
  let receipts: Array<[string, number, number]> = [];
  const activities: DeliveryActivities = {
    async sendWebhook(input) {
      receipts.push([input.eventId, scheduledAt.get(input.eventId) ?? 0, Date.now()]);
      scheduledAt.delete(input.eventId);
      return { kind: 'sent', deliveryId: input.eventId, statusCode: 200, attempt: 1 };
    },
    async recordDeliveryFailure(input) {
      return { deliveryId: input.eventId };
    },
    // The floor's deliveries have no lane.
    joinLane: async () => ({ kind: 'go' }),
    passLane: async () => [],
  };
  const flush = async () => {
    if (receipts.length === 0) return;
    const batch = receipts;
    receipts = [];
    try {
      await fetch(receiptsUrl, { method: 'POST', body: JSON.stringify(batch), headers: { 'content-type': 'application/json' } });
    } catch (error) {
      receipts.push(...batch);
      logger.warn({ err: String(error) }, 'receipts not sent; retrying');
    }
  };
  const flusher = setInterval(() => void flush(), 20);

  const temporal = temporalConnections(config);
  const embedded = startEmbeddedWorker({ config, logger, temporal, activities });
  await embedded.whenRunning();
  const lazy = temporal.lazyClient();
  const start = createDeliveryStarter({ client: lazy.client, config, eagerClient: () => embedded.eagerClient() });

  const deliver = async (raw: string) => {
    let envelope: { id: string; type: string; accountId: string; data?: { scheduledAt?: number } };
    try {
      envelope = JSON.parse(raw) as typeof envelope;
    } catch {
      return;
    }
    scheduledAt.set(envelope.id, envelope.data?.scheduledAt ?? Date.now());
    const fields = { eventId: envelope.id, subscriptionId, accountId: envelope.accountId, eventType: envelope.type, targetUrl };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await start(fields);
        return;
      } catch (error) {
        logger.warn({ eventId: envelope.id, attempt, err: String(error) }, 'start failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * attempt)));
      }
    }
  };
  const channel = config.redisChannel;
  if (channel === null) throw new Error('the floor process needs WEBHOOKS_REDIS_CHANNEL');
  const listener = startRedisListener({ redis: config, channel, onMessage: deliver, logger });
  await listener.whenSubscribed(30_000);
  logger.info('floor ready');

  exitOnSignal(async () => {
    await listener.stop();
    await embedded.stop();
    clearInterval(flusher);
    await flush();
    await lazy.connection.close();
  }, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench floor failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
