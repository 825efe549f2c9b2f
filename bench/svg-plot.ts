/**
 * Renders "latency vs offered load" as a standalone SVG (plain text, no canvas or native packages).
 * Both axes are logarithmic: offered rates span 10 to several hundred per second and latencies span
 * milliseconds to seconds. Solid lines are p99, dashed lines p50; the dotted line marks the 1 s p99 limit.
 */

export interface PlotPoint {
  rate: number;
  p50: number;
  p99: number;
}

export interface PlotSeries {
  name: string;
  color: string;
  points: PlotPoint[];
}

const WIDTH = 760;
const HEIGHT = 460;
const MARGIN = { left: 70, right: 170, top: 40, bottom: 56 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Powers of ten and their 2x / 5x steps between lo and hi (inclusive). */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let decade = Math.floor(Math.log10(lo)); decade <= Math.ceil(Math.log10(hi)); decade += 1) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** decade;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

function bounds(values: number[], floor: number): [number, number] {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.max(floor, Math.min(...positive));
  const hi = Math.max(...positive);
  return [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(Math.max(hi, lo * 10)))];
}

export function renderLatencyPlot(series: PlotSeries[], title: string): string {
  const points = series.flatMap((s) => s.points);
  const [xLo, xHi] = bounds(
    points.map((p) => p.rate),
    1,
  );
  const [yLo, yHi] = bounds(
    points.flatMap((p) => [p.p50, p.p99, 1000]),
    1,
  );
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (v: number) => MARGIN.left + ((Math.log10(v) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * plotW;
  const y = (v: number) =>
    MARGIN.top + plotH - ((Math.log10(Math.max(v, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * plotH;
  const fmt = (v: number) => v.toFixed(1);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  out.push(`<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`);
  for (const t of logTicks(xLo, xHi)) {
    out.push(`<line x1="${fmt(x(t))}" y1="${MARGIN.top}" x2="${fmt(x(t))}" y2="${MARGIN.top + plotH}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${fmt(x(t))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${t}</text>`);
  }
  for (const t of logTicks(yLo, yHi)) {
    out.push(`<line x1="${MARGIN.left}" y1="${fmt(y(t))}" x2="${MARGIN.left + plotW}" y2="${fmt(y(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${fmt(y(t) + 4)}" text-anchor="end">${t >= 1000 ? `${t / 1000} s` : `${t} ms`}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(
    `<line x1="${MARGIN.left}" y1="${fmt(y(1000))}" x2="${MARGIN.left + plotW}" y2="${fmt(y(1000))}" stroke="#c00" stroke-dasharray="2,3"/>`,
  );
  out.push(`<text x="${MARGIN.left + plotW - 4}" y="${fmt(y(1000) - 4)}" text-anchor="end" fill="#c00">p99 limit 1 s</text>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 14}" text-anchor="middle">offered load (events/s, log scale)</text>`);
  out.push(
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">publish-to-receipt latency (log scale)</text>`,
  );
  series.forEach((s, index) => {
    const sorted = [...s.points].sort((a, b) => a.rate - b.rate);
    for (const [key, dash] of [
      ['p99', ''],
      ['p50', ' stroke-dasharray="6,4"'],
    ] as const) {
      const path = sorted.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(x(p.rate))},${fmt(y(p[key]))}`).join(' ');
      if (path) out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
      for (const p of sorted) out.push(`<circle cx="${fmt(x(p.rate))}" cy="${fmt(y(p[key]))}" r="3" fill="${s.color}"/>`);
    }
    const ly = MARGIN.top + 10 + index * 40;
    const lx = MARGIN.left + plotW + 14;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}">${escapeXml(s.name)} p99</text>`);
    out.push(
      `<line x1="${lx}" y1="${ly + 16}" x2="${lx + 24}" y2="${ly + 16}" stroke="${s.color}" stroke-width="2" stroke-dasharray="6,4"/>`,
    );
    out.push(`<text x="${lx + 30}" y="${ly + 20}">${escapeXml(s.name)} p50</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
