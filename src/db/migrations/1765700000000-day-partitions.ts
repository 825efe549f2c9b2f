import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery log partitioned by day (docs/data-at-volume.md): events by `received_at`, their deliveries and attempts
 * by the event's `received_at`, carried on each row as `event_received_at`. A day of data (the events received that
 * day, their deliveries and attempts) lives in three partitions named after the day (`<table>_pYYYYMMDD`, UTC) and is
 * retired by detaching them (CONCURRENTLY: writers never wait) and dropping them. There is no default partition (it
 * would forbid a concurrent detach): the store function creates the day of an event it stores if it is missing, and a
 * delivery whose event is not stored (key `-infinity`) goes to `<table>_before`, for deliveries and attempts.
 *
 * Keys that are unique include the partition key. The event's id is unique across partitions by the store function
 * below (it holds an advisory lock on the id while it looks for it); a delivery's (event, subscription) and an
 * attempt's (delivery, number) are unique per event day, and the engine always writes the event's own day, so the
 * idempotent upserts stay idempotent.
 *
 * `webhooks_create_day_partition(day)` creates a day's three partitions if missing; the retention Schedule calls it
 * for the days ahead. The migration copies today's tables into the partitioned ones under an ACCESS EXCLUSIVE lock on the three
 * tables (writers and readers wait for the copy; measured rates and the online alternative in docs/data-at-volume.md).
 */
export class DayPartitions1765700000000 implements MigrationInterface {
  name = 'DayPartitions1765700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE webhook_events, webhook_deliveries, webhook_delivery_attempts IN ACCESS EXCLUSIVE MODE`);

    await queryRunner.query(`
      CREATE TABLE webhook_events_next (
        id varchar(200) NOT NULL,
        account_id varchar(128) NOT NULL,
        type varchar(100) NOT NULL,
        body text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        dispatched_at timestamptz,
        ordering_key varchar(200),
        lane_position numeric(60, 0),
        stream_entry_id varchar(48)
      ) PARTITION BY RANGE (received_at)`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries_next (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        subscription_id uuid NOT NULL,
        account_id varchar(128) NOT NULL,
        event_id varchar(200) NOT NULL,
        event_type varchar(100) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'PENDING',
        attempts integer NOT NULL DEFAULT 0,
        last_status_code integer,
        last_error text,
        workflow_id varchar(300) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        claim_run_id varchar(100),
        claim_attempt integer,
        claim_token uuid,
        claim_until timestamptz,
        attempt_seq integer NOT NULL DEFAULT 0,
        ordering_key varchar(200),
        lane_position numeric(60, 0),
        waiting_for uuid,
        lane_passed_at timestamptz,
        event_received_at timestamptz NOT NULL DEFAULT '-infinity',
        CONSTRAINT chk_webhook_deliveries_status_v2 CHECK (status IN ('PENDING', 'SUCCESS', 'FAILURE'))
      ) PARTITION BY RANGE (event_received_at)`);
    await queryRunner.query(`
      CREATE TABLE webhook_delivery_attempts_next (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        delivery_id uuid NOT NULL,
        run_id varchar(100) NOT NULL,
        activity_attempt integer NOT NULL,
        attempt integer NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        status_code integer,
        error text,
        response_body text,
        in_flight boolean NOT NULL DEFAULT false,
        claim_token uuid,
        event_received_at timestamptz NOT NULL DEFAULT '-infinity'
      ) PARTITION BY RANGE (event_received_at)`);
    for (const table of ['webhook_deliveries', 'webhook_delivery_attempts']) {
      await queryRunner.query(
        `CREATE TABLE ${table}_before PARTITION OF ${table}_next FOR VALUES FROM (MINVALUE) TO ('2000-01-01 00:00:00+00')`,
      );
    }

    // The old rows, each day into its own partition: the days are created first (their partitions empty), then filled.
    await queryRunner.query(`ALTER TABLE webhook_events RENAME TO webhook_events_unpartitioned`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_unpartitioned`);
    await queryRunner.query(`ALTER TABLE webhook_delivery_attempts RENAME TO webhook_delivery_attempts_unpartitioned`);
    await queryRunner.query(`ALTER TABLE webhook_events_next RENAME TO webhook_events`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries_next RENAME TO webhook_deliveries`);
    await queryRunner.query(`ALTER TABLE webhook_delivery_attempts_next RENAME TO webhook_delivery_attempts`);
    await queryRunner.query(CREATE_DAY_PARTITION_FUNCTION);
    await queryRunner.query(STORE_EVENT_FUNCTION);
    await queryRunner.query(`
      SELECT webhooks_create_day_partition(day::date)
        FROM generate_series(
               LEAST((SELECT min(received_at) FROM webhook_events_unpartitioned), now()) AT TIME ZONE 'UTC',
               (now() AT TIME ZONE 'UTC') + interval '${DAYS_AHEAD} days',
               interval '1 day') AS day`);

    await queryRunner.query(`INSERT INTO webhook_events SELECT * FROM webhook_events_unpartitioned`);
    await queryRunner.query(`
      INSERT INTO webhook_deliveries
      SELECT d.*, COALESCE(e.received_at, '-infinity')
        FROM webhook_deliveries_unpartitioned d LEFT JOIN webhook_events e ON e.id = d.event_id`);
    await queryRunner.query(`
      INSERT INTO webhook_delivery_attempts
      SELECT a.*, d.event_received_at
        FROM webhook_delivery_attempts_unpartitioned a JOIN webhook_deliveries d ON d.id = a.delivery_id`);
    await queryRunner.query(
      `DROP TABLE webhook_delivery_attempts_unpartitioned, webhook_deliveries_unpartitioned, webhook_events_unpartitioned`,
    );

    // Built once the rows are in, on every partition; a partition created later gets them when it is attached.
    await queryRunner.query(`ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_pkey PRIMARY KEY (id, received_at)`);
    await queryRunner.query(`CREATE INDEX idx_webhook_events_undispatched ON webhook_events (received_at) WHERE dispatched_at IS NULL`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id, event_received_at)`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX uq_webhook_deliveries_event_subscription
        ON webhook_deliveries (event_id, subscription_id, event_received_at)`);
    // The log, newest first, and the chart's counts (index-only: status is carried).
    await queryRunner.query(`
      CREATE INDEX idx_webhook_deliveries_subscription_created
        ON webhook_deliveries (subscription_id, created_at, id) INCLUDE (status)`);
    // Status-filtered lists and recover read only the rows they return.
    await queryRunner.query(`
      CREATE INDEX idx_webhook_deliveries_subscription_status_created
        ON webhook_deliveries (subscription_id, status, created_at, id) INCLUDE (event_received_at)`);
    // What retention asks of a day before retiring it: is anything of it still PENDING (a few rows at most).
    await queryRunner.query(`CREATE INDEX idx_webhook_deliveries_pending ON webhook_deliveries (subscription_id) WHERE status = 'PENDING'`);
    await queryRunner.query(`
      CREATE INDEX idx_webhook_deliveries_lane
        ON webhook_deliveries (subscription_id, ordering_key, lane_position) WHERE ordering_key IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX idx_webhook_deliveries_waiting_for ON webhook_deliveries (waiting_for) WHERE waiting_for IS NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE webhook_delivery_attempts ADD CONSTRAINT webhook_delivery_attempts_pkey PRIMARY KEY (id, event_received_at)`,
    );
    await queryRunner.query(`
      CREATE UNIQUE INDEX uq_webhook_delivery_attempts_number
        ON webhook_delivery_attempts (delivery_id, attempt, event_received_at)`);
    await queryRunner.query(`ANALYZE webhook_events, webhook_deliveries, webhook_delivery_attempts`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE webhook_events, webhook_deliveries, webhook_delivery_attempts IN ACCESS EXCLUSIVE MODE`);
    for (const table of ['webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts']) {
      await queryRunner.query(`ALTER TABLE ${table} RENAME TO ${table}_partitioned`);
      await queryRunner.query(`ALTER TABLE ${table}_partitioned RENAME CONSTRAINT ${table}_pkey TO ${table}_partitioned_pkey`);
    }
    await queryRunner.query(`
      CREATE TABLE webhook_events (LIKE webhook_events_partitioned INCLUDING DEFAULTS)`);
    await queryRunner.query(`INSERT INTO webhook_events SELECT * FROM webhook_events_partitioned`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (LIKE webhook_deliveries_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    await queryRunner.query(`INSERT INTO webhook_deliveries SELECT * FROM webhook_deliveries_partitioned`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries DROP COLUMN event_received_at`);
    await queryRunner.query(`
      CREATE TABLE webhook_delivery_attempts (LIKE webhook_delivery_attempts_partitioned INCLUDING DEFAULTS)`);
    await queryRunner.query(`INSERT INTO webhook_delivery_attempts SELECT * FROM webhook_delivery_attempts_partitioned`);
    await queryRunner.query(`ALTER TABLE webhook_delivery_attempts DROP COLUMN event_received_at`);
    await queryRunner.query(`DROP TABLE webhook_delivery_attempts_partitioned, webhook_deliveries_partitioned, webhook_events_partitioned`);
    await queryRunner.query(`DROP FUNCTION webhooks_store_event, webhooks_create_day_partition`);

    await queryRunner.query(`ALTER TABLE webhook_events ADD PRIMARY KEY (id)`);
    await queryRunner.query(`CREATE INDEX idx_webhook_events_undispatched ON webhook_events (received_at) WHERE dispatched_at IS NULL`);
    await queryRunner.query(`CREATE INDEX idx_webhook_events_received ON webhook_events (received_at)`);
    await queryRunner.query(`ALTER TABLE webhook_deliveries ADD PRIMARY KEY (id)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_webhook_deliveries_event_subscription ON webhook_deliveries (event_id, subscription_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX idx_webhook_deliveries_subscription_created ON webhook_deliveries (subscription_id, created_at, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX idx_webhook_deliveries_subscription_created_status ON webhook_deliveries (subscription_id, created_at) INCLUDE (status)`,
    );
    await queryRunner.query(
      `CREATE INDEX idx_webhook_deliveries_finished_updated ON webhook_deliveries (updated_at) WHERE status <> 'PENDING'`,
    );
    await queryRunner.query(`
      CREATE INDEX idx_webhook_deliveries_lane
        ON webhook_deliveries (subscription_id, ordering_key, lane_position) WHERE ordering_key IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX idx_webhook_deliveries_waiting_for ON webhook_deliveries (waiting_for) WHERE waiting_for IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE webhook_delivery_attempts ADD PRIMARY KEY (id)`);
    await queryRunner.query(`CREATE UNIQUE INDEX uq_webhook_delivery_attempts_number ON webhook_delivery_attempts (delivery_id, attempt)`);
    await queryRunner.query(`
      ALTER TABLE webhook_delivery_attempts
        ADD CONSTRAINT webhook_delivery_attempts_delivery_id_fkey
        FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries(id) ON DELETE CASCADE`);
  }
}

/** Days created ahead by the migration (the retention Schedule keeps the same horizon, src/retention/partitions.ts). */
const DAYS_AHEAD = 7;

/**
 * A day's three partitions, if missing: each is created as a table of its own and attached (SHARE UPDATE EXCLUSIVE on
 * the parent: reads and writes go on; the new table is empty, so the attach's check is instant). One creator at a time
 * (an advisory lock, then a look at the catalog in a fresh snapshot), as a listener may create the day of an event it
 * stores while the retention Schedule creates the days ahead. Deliveries and events leave room on their pages for HOT
 * updates; deliveries get statistics on (account, subscription, status), which are far from independent (a failing
 * endpoint's deliveries are mostly FAILURE), so that a status-filtered list is planned for the rows it really has.
 */
const CREATE_DAY_PARTITION_FUNCTION = `
  CREATE FUNCTION webhooks_create_day_partition(day date) RETURNS integer LANGUAGE plpgsql AS $fn$
  DECLARE
    lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
    suffix text := to_char(day, '"_p"YYYYMMDD');
    created integer := 0;
    spec record;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('webhooks_create_day_partition', 0));
    FOR spec IN SELECT * FROM (VALUES
        ('webhook_events', 90),
        ('webhook_deliveries', 90),
        ('webhook_delivery_attempts', 100)) AS s(parent, fill)
    LOOP
      CONTINUE WHEN EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE c.relname = spec.parent || suffix AND n.nspname = current_schema());
      EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = %s)',
                     spec.parent || suffix, spec.parent, spec.fill);
      IF spec.parent = 'webhook_deliveries' THEN
        EXECUTE format('CREATE STATISTICS %I (dependencies, ndistinct) ON account_id, subscription_id, status FROM %I',
                       spec.parent || suffix || '_stats', spec.parent || suffix);
      END IF;
      EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                     spec.parent, spec.parent || suffix, lo, hi);
      created := created + 1;
    END LOOP;
    RETURN created;
  END
  $fn$`;

/**
 * Stores an event once by id across every partition: the advisory lock on the id makes a second store of the same id
 * wait for the first to commit, and each statement below sees what committed before it (READ COMMITTED, a new
 * snapshot per statement), so the lookup finds the first copy. Returns the stored row and whether this call inserted it.
 * An event with an ordering key and no stream position is placed in the order it is stored in (src/lanes/lane-position.ts).
 */
const STORE_EVENT_FUNCTION = `
  CREATE FUNCTION webhooks_store_event(
    p_id varchar, p_account_id varchar, p_type varchar, p_body text,
    p_ordering_key varchar, p_lane_position numeric, p_stream_entry_id varchar
  ) RETURNS TABLE (inserted boolean, id varchar, account_id varchar, type varchar, received_at timestamptz,
                   dispatched_at timestamptz, ordering_key varchar, lane_position numeric, stream_entry_id varchar)
  LANGUAGE plpgsql AS $fn$
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('webhook_events:' || p_id, 0));
    -- The day of this store exists: created ahead by retention, made here if retention has not run for days.
    IF to_regclass('webhook_events' || to_char(now() AT TIME ZONE 'UTC', '"_p"YYYYMMDD')) IS NULL THEN
      PERFORM webhooks_create_day_partition((now() AT TIME ZONE 'UTC')::date);
    END IF;
    RETURN QUERY SELECT false, e.id, e.account_id, e.type, e.received_at, e.dispatched_at, e.ordering_key, e.lane_position,
                        e.stream_entry_id
                   FROM webhook_events e WHERE e.id = p_id LIMIT 1;
    IF FOUND THEN RETURN; END IF;
    RETURN QUERY INSERT INTO webhook_events AS e (id, account_id, type, body, ordering_key, lane_position, stream_entry_id)
                 VALUES (p_id, p_account_id, p_type, p_body, p_ordering_key,
                         CASE WHEN p_ordering_key IS NULL THEN NULL
                              WHEN p_lane_position IS NOT NULL THEN p_lane_position
                              ELSE floor(extract(epoch FROM clock_timestamp()) * 1000)::numeric * 18446744073709551616::numeric
                                   + (nextval('webhook_lane_seq') % 18446744073709551616) END,
                         CASE WHEN p_ordering_key IS NULL THEN NULL ELSE p_stream_entry_id END)
                 RETURNING true, e.id, e.account_id, e.type, e.received_at, e.dispatched_at, e.ordering_key, e.lane_position,
                           e.stream_entry_id;
  END
  $fn$`;
