import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PortalSessions1764900000001 implements MigrationInterface {
  name = 'PortalSessions1764900000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE portal_sessions (
        id varchar(32) PRIMARY KEY,
        account_id varchar(128) NOT NULL,
        token_hash varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX idx_portal_sessions_account ON portal_sessions (account_id)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE portal_sessions`);
  }
}
