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
  /** Temporal Cloud billable actions per delivery, counted from the history (see billableActions). */
  billableActionsPerDelivery: number;
}

type HistoryEvent = { eventType?: number | null; activityTaskStartedEventAttributes?: { attempt?: number | null } | null };

/**
 * Temporal Cloud actions of one history (docs "actions"): the start, each scheduled activity and each of its retries
 * (the attempt of its started event, less one), each timer, each search-attribute upsert, and one per workflow task
 * whose completion recorded local-activity markers (all markers of one task are one action). Start search
 * attributes are free.
 */
export function billableActions(events: HistoryEvent[]): number {
  let actions = 0;
  // Markers follow the WORKFLOW_TASK_COMPLETED whose commands recorded them.
  let markerCounted = false;
  for (const event of events) {
    const name = eventTypeName(event.eventType);
    if (
      name === 'WORKFLOW_EXECUTION_STARTED' ||
      name === 'ACTIVITY_TASK_SCHEDULED' ||
      name === 'TIMER_STARTED' ||
      name === 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES'
    )
      actions += 1;
    if (name === 'ACTIVITY_TASK_STARTED') actions += Math.max(0, (event.activityTaskStartedEventAttributes?.attempt ?? 1) - 1);
    if (name === 'WORKFLOW_TASK_COMPLETED') markerCounted = false;
    if (name === 'MARKER_RECORDED' && !markerCounted) {
      actions += 1;
      markerCounted = true;
    }
  }
  return actions;
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
    let actions = 0;
    for (const id of workflowIds) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      fetched += 1;
      actions += billableActions(history.events ?? []);
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
      billableActionsPerDelivery: per(actions),
    };
  } finally {
    await connection.close();
  }
}
