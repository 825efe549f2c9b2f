import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ordered delivery (src/lanes): a subscription may be `ordered`; an event keeps the `ordering_key` it was published
 * with and its place in order (`lane_position`: the stream entry id as one number, or the order it was stored in when
 * it came through Pub/Sub; `stream_entry_id` is kept for the intake barrier). A delivery of an ordered subscription
 * copies both when the listener reserves its place in the lane, before any delivery of the event starts;
 * `waiting_for` names the delivery it waits for, `lane_passed_at` when it ended its turn (the lane then goes on).
 *
 * Adding nullable columns without defaults takes a brief ACCESS EXCLUSIVE lock and rewrites nothing. The partial
 * indexes cover only rows that have a lane (none before this migration), but building them scans the table under a
 * SHARE lock: on a large installation, create them beforehand with CREATE INDEX CONCURRENTLY under the same names
 * (IF NOT EXISTS below then skips them).
 */
export class OrderedLanes1765400000000 implements MigrationInterface {
  name = 'OrderedLanes1765400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE webhook_subscriptions ADD COLUMN ordered boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`
      ALTER TABLE webhook_events
        ADD COLUMN ordering_key varchar(200),
        ADD COLUMN lane_position numeric(60, 0),
        ADD COLUMN stream_entry_id varchar(48)`);
    await queryRunner.query(`
      ALTER TABLE webhook_deliveries
        ADD COLUMN ordering_key varchar(200),
        ADD COLUMN lane_position numeric(60, 0),
        ADD COLUMN waiting_for uuid,
        ADD COLUMN lane_passed_at timestamptz`);
    // The order Pub/Sub events are stored in, within one millisecond of the clock.
    await queryRunner.query(`CREATE SEQUENCE IF NOT EXISTS webhook_lane_seq AS bigint CYCLE`);
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS idx_webhook_deliveries_lane
        ON webhook_deliveries (subscription_id, ordering_key, lane_position) WHERE ordering_key IS NOT NULL`);
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS idx_webhook_deliveries_waiting_for
        ON webhook_deliveries (waiting_for) WHERE waiting_for IS NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS idx_webhook_deliveries_waiting_for`);
    await queryRunner.query(`DROP INDEX IF EXISTS idx_webhook_deliveries_lane`);
    await queryRunner.query(`DROP SEQUENCE IF EXISTS webhook_lane_seq`);
    await queryRunner.query(`
      ALTER TABLE webhook_deliveries
        DROP COLUMN lane_passed_at, DROP COLUMN waiting_for, DROP COLUMN lane_position, DROP COLUMN ordering_key`);
    await queryRunner.query(`
      ALTER TABLE webhook_events DROP COLUMN stream_entry_id, DROP COLUMN lane_position, DROP COLUMN ordering_key`);
    await queryRunner.query(`ALTER TABLE webhook_subscriptions DROP COLUMN ordered`);
  }
}
