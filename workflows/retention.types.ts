/** Wire types of the retention workflow and its activity. Types only: the workflow sandbox imports this file. */

export type RetentionTarget = 'deliveries' | 'events' | 'rejectedMessages';

export interface RetentionInput {
  /** Rows older than this many days are deleted (WEBHOOKS_RETENTION_DAYS). */
  readonly retentionDays: number;
  /** Rows per delete statement (WEBHOOKS_RETENTION_BATCH_SIZE). */
  readonly batchSize: number;
}

export interface DeleteExpiredInput {
  readonly target: RetentionTarget;
  /** ISO 8601 cutoff: rows older than this are deleted. */
  readonly before: string;
  readonly limit: number;
}

export interface DeleteExpiredResult {
  readonly deleted: number;
  readonly attempts: number;
}

export interface RetentionResult {
  readonly before: string;
  readonly deliveries: number;
  readonly attempts: number;
  readonly events: number;
  readonly rejectedMessages: number;
  /** True when a target still had rows after the batches one run may make (the next run goes on). */
  readonly more: boolean;
}
