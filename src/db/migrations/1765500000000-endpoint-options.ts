import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Endpoint options (issue 25): a subscription's `filter` on the event's data (jsonb, null: none), its custom `headers`
 * (one AES-256-GCM envelope of the JSON object, src/crypto/secret-box.ts; null: none) and its `signature_scheme`
 * (`hmac`, the default and what every existing row keeps, or `ed25519`, whose private keys are sealed in `secrets`
 * like signing secrets are).
 *
 * Adding nullable columns, and a NOT NULL one with a constant default, rewrites nothing (a brief ACCESS EXCLUSIVE
 * lock only).
 */
export class EndpointOptions1765500000000 implements MigrationInterface {
  name = 'EndpointOptions1765500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhook_subscriptions
        ADD COLUMN filter jsonb,
        ADD COLUMN headers text,
        ADD COLUMN signature_scheme varchar(16) NOT NULL DEFAULT 'hmac'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE webhook_subscriptions DROP COLUMN signature_scheme, DROP COLUMN headers, DROP COLUMN filter`);
  }
}
