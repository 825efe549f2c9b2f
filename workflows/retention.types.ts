/** Wire types of the retention workflow and its activity. Types only: the workflow sandbox imports this file. */

export type RetentionTarget = 'deliveries' | 'events' | 'rejectedMessages';

export interface RetentionInput {
  /** Data older than this many days is retired (WEBHOOKS_RETENTION_DAYS). */
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

export interface DayPartitionsInput {
  /** ISO 8601: days that ended before this are retired (unless something of them is still going on). */
  readonly before: string;
  /** ISO 8601: the workflow's now; the days from its day on are created ahead. */
  readonly now: string;
}

export interface DayPartitionsResult {
  /** Partition tables created (three per day). */
  readonly created: number;
  /** Days whose partitions were dropped (YYYY-MM-DD). */
  readonly retired: string[];
  /** Expired days kept for now, with what holds them. */
  readonly kept: Array<{ day: string; pending: number; undispatched: number }>;
  /** Expired days whose locks were not granted in time (the next run takes them). */
  readonly busy: string[];
}

export interface RetentionResult {
  readonly before: string;
  /** What the day partitions' maintenance did (absent in runs that started before it existed). */
  readonly partitions?: DayPartitionsResult;
  readonly deliveries: number;
  readonly attempts: number;
  readonly events: number;
  readonly rejectedMessages: number;
  /** True when a target still had rows after the batches one run may make (the next run goes on). */
  readonly more: boolean;
}
