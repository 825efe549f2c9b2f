import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-subscription rate limit and the state the engine keeps when it switches a subscription off:
 * `disabled_reason` ('gone' after a 410, 'failing' after failing too long) and `disabled_at`.
 */
export class SubscriptionHealth1764900000000 implements MigrationInterface {
  name = 'SubscriptionHealth1764900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhook_subscriptions
        ADD COLUMN rate_limit_per_second integer CHECK (rate_limit_per_second IS NULL OR rate_limit_per_second > 0),
        ADD COLUMN disabled_reason varchar(16) CHECK (disabled_reason IS NULL OR disabled_reason IN ('gone', 'failing')),
        ADD COLUMN disabled_at timestamptz`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhook_subscriptions
        DROP COLUMN disabled_at, DROP COLUMN disabled_reason, DROP COLUMN rate_limit_per_second`);
  }
}
