import { countersOf, mergeCounters, perDelivery, sumCounterBy } from '../../bench/temporal-metrics';

const SCRAPE = [
  '# TYPE service_requests counter',
  'service_requests{namespace="default",operation="StartWorkflowExecution",service_name="frontend"} 10',
  'service_requests{namespace="default",operation="PollWorkflowTaskQueue",service_name="frontend"} 42',
  'service_requests{namespace="default",operation="PollWorkflowTaskQueue",service_name="matching"} 40',
  'service_requests{namespace="_unknown_",operation="GetSystemInfo",service_name="frontend"} 1',
  'persistence_requests{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} 30',
].join('\n');

describe('sumCounterBy', () => {
  it('sums samples by a label, keeping only those matching every filter', () => {
    const frontend = sumCounterBy(SCRAPE, 'service_requests', 'operation', { service_name: 'frontend', namespace: 'default' });
    expect([...frontend]).toEqual([
      ['StartWorkflowExecution', 10],
      ['PollWorkflowTaskQueue', 42],
    ]);
    expect(sumCounterBy(SCRAPE, 'persistence_requests', 'namespace').get('default')).toBe(30);
  });
});

describe('perDelivery', () => {
  it('divides the growth of each counter by the deliveries made in between', () => {
    const before = { frontend: new Map([['StartWorkflowExecution', 10]]), persistence: 30 };
    const after = {
      frontend: new Map([
        ['StartWorkflowExecution', 30],
        ['RespondActivityTaskCompleted', 60],
      ]),
      persistence: 130,
    };
    expect(perDelivery(before, after, 20)).toEqual({
      rpcs: [
        ['RespondActivityTaskCompleted', 3],
        ['StartWorkflowExecution', 1],
      ],
      rpcTotal: 4,
      persistence: 5,
    });
  });
});

describe('mergeCounters (a cluster: one endpoint per service)', () => {
  it('adds frontend RPCs across endpoints and keeps persistence operations per endpoint', () => {
    const frontendText = [
      'service_requests{namespace="default",operation="StartWorkflowExecution",service_name="frontend"} 10',
      'persistence_requests{namespace="default",operation="GetWorkflowExecution",service_name="frontend"} 2',
    ].join('\n');
    const historyText = [
      'service_requests{namespace="default",operation="StartWorkflowExecution",service_name="history"} 10',
      'persistence_requests{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} 30',
      'persistence_requests{namespace="",operation="GetTasks",service_name="history"} 8',
    ].join('\n');
    const merged = mergeCounters({ frontend: countersOf(frontendText), history: countersOf(historyText) });
    expect([...merged.frontend]).toEqual([['StartWorkflowExecution', 10]]);
    expect(merged.persistenceBy).toEqual({ frontend: 2, history: 38 });
    expect(merged.persistence).toBe(40);

    const later = mergeCounters({
      frontend: countersOf(frontendText.replace('} 10', '} 30')),
      history: countersOf(historyText.replace('} 30', '} 90')),
    });
    expect(perDelivery(merged, later, 20)).toEqual({
      rpcs: [['StartWorkflowExecution', 1]],
      rpcTotal: 1,
      persistence: 3,
      persistenceBy: [
        ['frontend', 0],
        ['history', 3],
      ],
    });
  });
});
