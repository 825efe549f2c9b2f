/** Fetches a sample of delivery workflow histories and counts their events by type. */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface HistorySample {
  workflows: number;
  eventsPerDelivery: number;
  /** Average count per delivery of each event type (e.g. ACTIVITY_TASK_SCHEDULED). */
  byType: Record<string, number>;
  workflowTasksPerDelivery: number;
  activitiesPerDelivery: number;
}

export function eventTypeName(value: number | null | undefined): string {
  const name = temporal.api.enums.v1.EventType[value ?? 0] ?? String(value);
  return name.replace(/^EVENT_TYPE_/, '');
}

export async function sampleHistories(address: string, namespace: string, workflowIds: string[]): Promise<HistorySample> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const totals: Record<string, number> = {};
    let events = 0;
    let fetched = 0;
    for (const id of workflowIds) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      fetched += 1;
      for (const event of history.events ?? []) {
        events += 1;
        const name = eventTypeName(event.eventType);
        totals[name] = (totals[name] ?? 0) + 1;
      }
    }
    const per = (n: number) => (fetched > 0 ? n / fetched : Number.NaN);
    const byType = Object.fromEntries(Object.entries(totals).map(([name, n]) => [name, per(n)]));
    return {
      workflows: fetched,
      eventsPerDelivery: per(events),
      byType,
      workflowTasksPerDelivery: per(totals.WORKFLOW_TASK_COMPLETED ?? 0),
      activitiesPerDelivery: per(totals.ACTIVITY_TASK_SCHEDULED ?? 0),
    };
  } finally {
    await connection.close();
  }
}
