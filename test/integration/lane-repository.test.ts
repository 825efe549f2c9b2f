/**
 * The lanes' places on a real Postgres. Two listeners receive every Pub/Sub message, so both place the same event at
 * the same moment: whichever statement loses the race must still answer the place, or its delivery would start
 * without its lane and skip the queue.
 */
import type { DataSource } from 'typeorm';
import { loadConfig, requireEncryptionKey } from '../../src/config';
import { createDataSource } from '../../src/app/data-source';
import { createSecretBox } from '../../src/crypto/secret-box';
import { createLaneRepository, type LaneEvent, type LaneRepository } from '../../src/lanes/lane.repository';
import { deliveryWorkflowId } from '../../src/temporal/contract';
import { waitFor } from '../helpers/engine';
import { insertEvent, insertSubscription } from '../helpers/subscription-fixtures';

let dataSource: DataSource;
let lanes: LaneRepository;

beforeAll(async () => {
  dataSource = createDataSource(loadConfig({ ...process.env }).databaseUrl, { poolSize: 4 });
  await dataSource.initialize();
  lanes = createLaneRepository(dataSource);
});

afterAll(async () => {
  await dataSource?.destroy();
});

async function orderedSubscriptionAndEvent(): Promise<{ subscriptionId: string; url: string; event: LaneEvent }> {
  const box = createSecretBox(requireEncryptionKey(loadConfig({ ...process.env })));
  const url = 'https://hooks.example.com/lanes';
  const { subscription } = await insertSubscription(dataSource, box, { url });
  await dataSource.query('UPDATE webhook_subscriptions SET ordered = true WHERE id = $1', [subscription.id]);
  const stored = await insertEvent(dataSource, { accountId: subscription.accountId });
  const event: LaneEvent = {
    id: stored.id,
    accountId: stored.accountId,
    type: stored.type,
    orderingKey: 'conv-1',
    position: '1000',
  };
  return { subscriptionId: subscription.id, url, event };
}

describe('lane repository', () => {
  it('answers the place of an event taken before', async () => {
    const { subscriptionId, url, event } = await orderedSubscriptionAndEvent();
    expect(await lanes.reservePlaces(event, [subscriptionId])).toEqual([{ subscriptionId, url }]);
    expect(await lanes.reservePlaces(event, [subscriptionId])).toEqual([{ subscriptionId, url }]);
  });

  it('answers a place another connection was taking at the same moment, once that one commits', async () => {
    const { subscriptionId, url, event } = await orderedSubscriptionAndEvent();
    const other = dataSource.createQueryRunner();
    await other.connect();
    try {
      await other.startTransaction();
      await other.query(
        `INSERT INTO webhook_deliveries
           (subscription_id, account_id, event_id, event_type, workflow_id, status, ordering_key, lane_position, event_received_at)
         SELECT $1::uuid, $2::varchar, $3::varchar, $4::varchar, $5::varchar, 'PENDING', $6::varchar, $7::numeric, received_at
           FROM webhook_events WHERE id = $3::varchar`,
        [
          subscriptionId,
          event.accountId,
          event.id,
          event.type,
          deliveryWorkflowId(event.id, subscriptionId),
          event.orderingKey,
          event.position,
        ],
      );
      const mine = lanes.reservePlaces(event, [subscriptionId]);
      // This reserve waits on the other's uncommitted place (ON CONFLICT), its snapshot already taken.
      await waitFor(
        async () => {
          const [{ waiting }] = await dataSource.query(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO webhook_deliveries%' AND pid <> pg_backend_pid()`,
          );
          return waiting > 0;
        },
        10_000,
        'the reserve waiting on the other place',
      );
      await other.commitTransaction();
      expect(await mine).toEqual([{ subscriptionId, url }]);
    } finally {
      await other.release();
    }
    const [{ places }] = await dataSource.query('SELECT count(*)::int AS places FROM webhook_deliveries WHERE event_id = $1', [event.id]);
    expect(places).toBe(1);
  });
});
