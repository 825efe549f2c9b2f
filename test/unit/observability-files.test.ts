/** The reading of metric names from the dashboard's and the rules' PromQL (test/helpers/observability-files.ts). */
import { dashboardExpressions, metricNamesIn, queriedMetricNames, ruleExpressions } from '../helpers/observability-files';

describe('metric names in PromQL', () => {
  it('keeps metric names and drops functions, labels, strings, ranges, grouping, keywords and numbers', () => {
    const expr =
      'histogram_quantile(0.95, sum by (le) (rate(a_bucket{x="y(z)",role=~"w|l"}[$__rate_interval]))) / 1000 ' +
      'and on() up == 0 or absent(b{role="worker"}) > bool 1e-9 + clamp_min(c offset 5m, 0.5) unless ignoring(i) d';
    expect(metricNamesIn(expr)).toEqual(['a_bucket', 'up', 'b', 'c', 'd']);
  });

  it('reads every expression of the dashboard and the rules', () => {
    expect(dashboardExpressions().length).toBeGreaterThanOrEqual(15);
    expect(ruleExpressions()).toHaveLength(6);
    expect(queriedMetricNames()).toEqual(
      expect.arrayContaining(['webhooks_intake_messages_total', 'webhooks_stream_pending_entries', 'temporal_worker_task_slots_available']),
    );
  });
});
