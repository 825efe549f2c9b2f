import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id varchar(32) PRIMARY KEY,
        account_id varchar(128) NOT NULL,
        key_hash varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX idx_api_keys_account ON api_keys (account_id)`);

    await queryRunner.query(`
      CREATE TABLE webhook_subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id varchar(128) NOT NULL,
        url text NOT NULL,
        events text[] NOT NULL,
        description varchar(500),
        is_active boolean NOT NULL DEFAULT true,
        secrets jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX idx_webhook_subscriptions_account_created ON webhook_subscriptions (account_id, created_at, id)`);
    await queryRunner.query(`CREATE INDEX idx_webhook_subscriptions_events ON webhook_subscriptions USING gin (events)`);

    await queryRunner.query(`
      CREATE TABLE webhook_events (
        id varchar(200) PRIMARY KEY,
        account_id varchar(128) NOT NULL,
        type varchar(100) NOT NULL,
        body text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        dispatched_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX idx_webhook_events_undispatched ON webhook_events (received_at) WHERE dispatched_at IS NULL`);

    await queryRunner.query(`
      CREATE TABLE rejected_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel varchar(200) NOT NULL,
        raw text NOT NULL,
        reason text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subscription_id uuid NOT NULL,
        account_id varchar(128) NOT NULL,
        event_id varchar(200) NOT NULL,
        event_type varchar(100) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'PENDING',
        attempts int NOT NULL DEFAULT 0,
        last_status_code int,
        last_error text,
        workflow_id varchar(300) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_webhook_deliveries_status CHECK (status IN ('PENDING', 'SUCCESS', 'FAILURE'))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_webhook_deliveries_event_subscription ON webhook_deliveries (event_id, subscription_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX idx_webhook_deliveries_subscription_created ON webhook_deliveries (subscription_id, created_at, id)`,
    );

    await queryRunner.query(`
      CREATE TABLE webhook_delivery_attempts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        run_id varchar(100) NOT NULL,
        activity_attempt int NOT NULL,
        attempt int NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms int NOT NULL,
        status_code int,
        error text,
        response_body text
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_webhook_delivery_attempts_run_attempt ON webhook_delivery_attempts (delivery_id, run_id, activity_attempt)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_delivery_attempts`);
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE rejected_messages`);
    await queryRunner.query(`DROP TABLE webhook_events`);
    await queryRunner.query(`DROP TABLE webhook_subscriptions`);
    await queryRunner.query(`DROP TABLE api_keys`);
  }
}
