import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every request is an entry in the attempt log: the attempt row is written when the attempt is claimed, before the
 * POST (`in_flight`, with the token of the execution that claims it), and its outcome is filled in after. A row whose
 * execution died keeps `in_flight` and reads as interrupted. An attempt key (run, activity attempt) whose execution
 * died is made again by the execution that takes its claim over, as a row of its own: the key is no longer unique,
 * the delivery-wide number is. Numbers are given out from the delivery's `attempt_seq` (the last number given), bumped
 * under the row lock when a row is written before its request; `attempts` keeps counting the attempts whose outcome
 * is recorded.
 */
export class AttemptLogEntries1765300000000 implements MigrationInterface {
  name = 'AttemptLogEntries1765300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhook_delivery_attempts
        ADD COLUMN in_flight boolean NOT NULL DEFAULT false,
        ADD COLUMN claim_token uuid`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries ADD COLUMN attempt_seq integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`UPDATE webhook_deliveries SET attempt_seq = attempts WHERE attempts > 0`);
    await queryRunner.query(`DROP INDEX uq_webhook_delivery_attempts_run_attempt`);
    await queryRunner.query(`CREATE UNIQUE INDEX uq_webhook_delivery_attempts_number ON webhook_delivery_attempts (delivery_id, attempt)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX uq_webhook_delivery_attempts_number`);
    // A key made twice (a lost claim) keeps its first row.
    await queryRunner.query(`
      DELETE FROM webhook_delivery_attempts a USING webhook_delivery_attempts b
       WHERE a.delivery_id = b.delivery_id AND a.run_id = b.run_id AND a.activity_attempt = b.activity_attempt
         AND a.attempt > b.attempt`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_webhook_delivery_attempts_run_attempt ON webhook_delivery_attempts (delivery_id, run_id, activity_attempt)`,
    );
    await queryRunner.query(`ALTER TABLE webhook_delivery_attempts DROP COLUMN claim_token, DROP COLUMN in_flight`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries DROP COLUMN attempt_seq`);
  }
}
