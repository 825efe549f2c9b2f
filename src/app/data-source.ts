import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ApiKey } from '../keys/api-key.entity';
import { WebhookSubscription } from '../subscriptions/subscription.entity';
import { WebhookEvent } from '../events/event.entity';
import { RejectedMessage } from '../events/rejected-message.entity';
import { WebhookDelivery } from '../deliveries/delivery.entity';
import { WebhookDeliveryAttempt } from '../deliveries/delivery-attempt.entity';
import { InitialSchema1764300000000 } from '../db/migrations/1764300000000-initial-schema';
import { SubscriptionHealth1764900000000 } from '../db/migrations/1764900000000-subscription-health';
import { PortalSessions1764900000001 } from '../db/migrations/1764900000001-portal-sessions';
import { RetentionIndexes1765000000000 } from '../db/migrations/1765000000000-retention-indexes';
import { SubscriptionHealthStreak1765100000000 } from '../db/migrations/1765100000000-subscription-health-streak';
import { AttemptClaim1765200000000 } from '../db/migrations/1765200000000-attempt-claim';
import { AttemptLogEntries1765300000000 } from '../db/migrations/1765300000000-attempt-log-entries';
import { OrderedLanes1765400000000 } from '../db/migrations/1765400000000-ordered-lanes';
import { EndpointOptions1765500000000 } from '../db/migrations/1765500000000-endpoint-options';
import { DeliveryStatsIndex1765600000000 } from '../db/migrations/1765600000000-delivery-stats-index';
import { DayPartitions1765700000000 } from '../db/migrations/1765700000000-day-partitions';
import { PortalSession } from '../portal/portal-session.entity';
import { StorableTextClient } from '../db/storable-text-client';

export const ENTITIES = [
  ApiKey,
  WebhookSubscription,
  WebhookEvent,
  RejectedMessage,
  WebhookDelivery,
  WebhookDeliveryAttempt,
  PortalSession,
];
/** Listed explicitly (not globbed) so the same list works under ts-node, Jest and built JavaScript. */
export const MIGRATIONS = [
  InitialSchema1764300000000,
  SubscriptionHealth1764900000000,
  PortalSessions1764900000001,
  RetentionIndexes1765000000000,
  SubscriptionHealthStreak1765100000000,
  AttemptClaim1765200000000,
  AttemptLogEntries1765300000000,
  OrderedLanes1765400000000,
  EndpointOptions1765500000000,
  DeliveryStatsIndex1765600000000,
  DayPartitions1765700000000,
];

export interface DataSourceOptions {
  /** Pool size; each process sizes it for its own concurrency. */
  poolSize?: number;
}

export function createDataSource(databaseUrl: string, options: DataSourceOptions = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      // Every parameter is made storable (NUL, lone surrogates) before it reaches Postgres.
      Client: StorableTextClient,
    },
  });
}
