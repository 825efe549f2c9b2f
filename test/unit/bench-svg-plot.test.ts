import { logTicks, renderLatencyPlot } from '../../bench/svg-plot';

describe('renderLatencyPlot', () => {
  const svg = renderLatencyPlot(
    [
      {
        name: 'engine',
        color: '#1f77b4',
        points: [
          { rate: 10, p50: 40, p99: 90 },
          { rate: 50, p50: 60, p99: 400 },
        ],
      },
      { name: 'direct <loop>', color: '#2ca02c', points: [{ rate: 10, p50: 3, p99: 8 }] },
    ],
    'Latency vs offered load',
  );

  it('produces one standalone SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });

  it('draws a p99 and a p50 line per series and a legend that escapes names', () => {
    expect(svg.match(/<path /g)).toHaveLength(4);
    expect(svg).toContain('direct &lt;loop&gt; p99');
    expect(svg).toContain('p99 limit 1 s');
  });
});

describe('logTicks', () => {
  it('lists 1-2-5 steps of each decade within the range', () => {
    expect(logTicks(10, 1000)).toEqual([10, 20, 50, 100, 200, 500, 1000]);
  });
});
