import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The claim an attempt takes on its delivery before it sends: which run's attempt (run id, activity attempt key), a
 * token of the execution that took it, and until when it holds (now + that execution's start-to-close timeout).
 * A second execution of the same attempt (the workflow task timed out under load and another worker replays the
 * local first attempt while the first one still runs) sees the live claim and waits instead of POSTing again.
 */
export class AttemptClaim1765200000000 implements MigrationInterface {
  name = 'AttemptClaim1765200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhook_deliveries
        ADD COLUMN claim_run_id varchar(100),
        ADD COLUMN claim_attempt integer,
        ADD COLUMN claim_token uuid,
        ADD COLUMN claim_until timestamptz`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhook_deliveries
        DROP COLUMN claim_until, DROP COLUMN claim_token, DROP COLUMN claim_attempt, DROP COLUMN claim_run_id`);
  }
}
