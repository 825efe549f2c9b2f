import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The endpoint page's chart (issue 25): deliveries of one subscription counted by outcome over a time window
 * (GET /webhooks/subscriptions/:id/delivery-stats). With `status` carried in the index, the count is an index-only
 * range scan over (subscription_id, created_at): no row of the table is read once the visibility map is set.
 */
export class DeliveryStatsIndex1765600000000 implements MigrationInterface {
  name = 'DeliveryStatsIndex1765600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX idx_webhook_deliveries_subscription_created_status ON webhook_deliveries (subscription_id, created_at) INCLUDE (status)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX idx_webhook_deliveries_subscription_created_status`);
  }
}
