import { temporal } from '@temporalio/proto';
import { billableActions } from '../../bench/temporal-history';

const T = temporal.api.enums.v1.EventType;
const ev = (eventType: number, attempt?: number) => ({ eventType, activityTaskStartedEventAttributes: attempt ? { attempt } : null });

describe('billable actions of a delivery history', () => {
  it('counts a first-attempt local delivery as the start plus one for the task that recorded its marker', () => {
    const history = [
      T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      T.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      T.EVENT_TYPE_MARKER_RECORDED,
      T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ].map((t) => ev(t));
    expect(billableActions(history)).toBe(2);
  });

  it('counts an activity with its retries, a timer and a search-attribute upsert', () => {
    const history = [
      ev(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
      ev(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
      ev(T.EVENT_TYPE_MARKER_RECORDED),
      ev(T.EVENT_TYPE_MARKER_RECORDED),
      ev(T.EVENT_TYPE_TIMER_STARTED),
      ev(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
      ev(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
      ev(T.EVENT_TYPE_ACTIVITY_TASK_STARTED, 3),
      ev(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
      ev(T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
    ];
    // start 1 + markers of one task 1 + timer 1 + activity 1 + 2 retries + upsert 1
    expect(billableActions(history)).toBe(7);
  });
});
