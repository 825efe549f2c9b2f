import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the retention job: finished deliveries by last change, events and rejected messages by arrival, so
 * each batch finds its oldest rows without scanning the tables.
 */
export class RetentionIndexes1765000000000 implements MigrationInterface {
  name = 'RetentionIndexes1765000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX idx_webhook_deliveries_finished_updated ON webhook_deliveries (updated_at) WHERE status <> 'PENDING'`,
    );
    await queryRunner.query(`CREATE INDEX idx_webhook_events_received ON webhook_events (received_at)`);
    await queryRunner.query(`CREATE INDEX idx_rejected_messages_received ON rejected_messages (received_at)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX idx_rejected_messages_received`);
    await queryRunner.query(`DROP INDEX idx_webhook_events_received`);
    await queryRunner.query(`DROP INDEX idx_webhook_deliveries_finished_updated`);
  }
}
