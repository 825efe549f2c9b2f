import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The health the delivery attempts keep on each subscription: when it last succeeded (to the minute), since when it
 * has been failing (the first failed attempt after the last success) and how many attempts failed since. Auto-disable
 * reads `failing_since`; a success clears the streak.
 */
export class SubscriptionHealthStreak1765100000000 implements MigrationInterface {
  name = 'SubscriptionHealthStreak1765100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhook_subscriptions
        ADD COLUMN last_success_at timestamptz,
        ADD COLUMN failing_since timestamptz,
        ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhook_subscriptions
        DROP COLUMN consecutive_failures, DROP COLUMN failing_since, DROP COLUMN last_success_at`);
  }
}
