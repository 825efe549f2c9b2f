// An endpoint's deliveries by outcome over the last 24 hours (hourly) or 7 days (6-hourly): stacked SVG bars drawn
// here from GET /subscriptions/:id/delivery-stats. Every value is written as an attribute or a text node; each bar has
// a <title> (its hover text and accessible name) and the totals are written out beside the chart.
import { refreshDelay } from './delivery-log.js';
import { el } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const OUTCOMES = [
  ['SUCCESS', 'succeeded', 'success'],
  ['FAILURE', 'failed', 'failure'],
  ['PENDING', 'pending', 'pending'],
];
const WINDOWS = [
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
];
const WIDTH = 720;
const HEIGHT = 180;
const LEFT = 40;
const BOTTOM = 22;
const TOP = 8;

/** An SVG element with attributes and children (strings become text nodes). */
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  for (const child of children.flat())
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  return node;
}

/** "18:00" (24h) or "Tue 06 18:00" (7d), in UTC like every time on the page. */
function label(iso, window) {
  const at = new Date(iso);
  const time = iso.slice(11, 16);
  if (window === '24h') return time;
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][at.getUTCDay()];
  return `${day} ${iso.slice(8, 10)} ${time}`;
}

const total = (counts) => OUTCOMES.reduce((n, [status]) => n + counts[status], 0);

/** A rounded-up axis top: 1, 2, 5, 10, 20, 50, ... */
function niceMax(value) {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((m) => m >= value);
}

export function drawChart(stats) {
  const { buckets, window, bucketSeconds } = stats;
  const top = niceMax(Math.max(0, ...buckets.map((b) => total(b.counts))));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / buckets.length;
  const barWidth = Math.max(2, slot * 0.75);
  const labelEvery = window === '24h' ? 3 : 4;
  const scale = (n) => (n / top) * plotHeight;

  const bars = buckets.map((bucket, i) => {
    const x = LEFT + i * slot + (slot - barWidth) / 2;
    let y = HEIGHT - BOTTOM;
    const segments = OUTCOMES.filter(([status]) => bucket.counts[status] > 0).map(([status, , name]) => {
      const height = scale(bucket.counts[status]);
      y -= height;
      return svg('rect', {
        class: `segment ${name}`,
        x: x.toFixed(1),
        y: y.toFixed(1),
        width: barWidth.toFixed(1),
        height: height.toFixed(1),
      });
    });
    const end = new Date(Date.parse(bucket.start) + bucketSeconds * 1000).toISOString();
    const summary = OUTCOMES.map(([status, word]) => `${bucket.counts[status]} ${word}`).join(', ');
    return svg(
      'g',
      {
        class: 'bar',
        'data-start': bucket.start,
        'data-success': bucket.counts.SUCCESS,
        'data-failure': bucket.counts.FAILURE,
        'data-pending': bucket.counts.PENDING,
      },
      svg('title', {}, `${label(bucket.start, window)}–${label(end, window)} UTC: ${summary}`),
      // The whole slot answers hover, even where the bar is empty.
      svg('rect', { class: 'slot', x: (LEFT + i * slot).toFixed(1), y: TOP, width: slot.toFixed(1), height: plotHeight }),
      segments,
    );
  });

  const ticks = buckets
    .map((bucket, i) =>
      i % labelEvery === 0
        ? svg('text', { class: 'tick', x: (LEFT + i * slot).toFixed(1), y: HEIGHT - 6 }, label(bucket.start, window).replace(/^\w+ /, ''))
        : null,
    )
    .filter(Boolean);
  const totals = stats.totals;
  return svg(
    'svg',
    {
      id: 'chart-svg',
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-label': `Deliveries, ${WINDOWS.find(([w]) => w === window)[1].toLowerCase()}: ${OUTCOMES.map(([s, word]) => `${totals[s]} ${word}`).join(', ')}`,
    },
    svg('line', { class: 'axis', x1: LEFT, y1: HEIGHT - BOTTOM, x2: WIDTH, y2: HEIGHT - BOTTOM }),
    svg('line', { class: 'grid', x1: LEFT, y1: TOP, x2: WIDTH, y2: TOP }),
    svg('text', { class: 'tick', x: LEFT - 6, y: TOP + 10, 'text-anchor': 'end' }, top),
    svg('text', { class: 'tick', x: LEFT - 6, y: HEIGHT - BOTTOM, 'text-anchor': 'end' }, 0),
    bars,
    ticks,
  );
}

/**
 * The chart section: returned at once, it fills itself; the toggle redraws it for the other window. While a delivery
 * of the window is PENDING it redraws itself, slowing down like the log does.
 */
export function deliveryChart(ctx, subscription, window = '24h') {
  const box = el('section', { id: 'delivery-chart', 'aria-label': 'Deliveries by outcome' }, el('p', { class: 'muted' }, 'Loading chart…'));
  const view = ctx.currentView();
  let drawn = 0;
  const render = async (shown, refreshes = 0) => {
    const turn = ++drawn;
    const stats = await ctx.request('GET', `/subscriptions/${subscription.id}/delivery-stats?window=${shown}`);
    if (!ctx.isCurrent(view) || turn !== drawn) return;
    const toggle = el(
      'div',
      { class: 'toolbar', role: 'group', 'aria-label': 'Chart window' },
      WINDOWS.map(([value, text]) =>
        el(
          'button',
          {
            type: 'button',
            id: `chart-${value}`,
            class: value === shown ? 'toggle selected' : 'toggle',
            'aria-pressed': value === shown ? 'true' : 'false',
            onclick: () => ctx.act(() => render(value)),
          },
          text,
        ),
      ),
    );
    const legend = el(
      'ul',
      { id: 'chart-totals', class: 'legend' },
      OUTCOMES.map(([status, word, name]) =>
        el('li', { class: name }, el('span', { class: 'swatch', 'aria-hidden': 'true' }), `${stats.totals[status]} ${word}`),
      ),
    );
    box.setAttribute('data-window', shown);
    box.replaceChildren(toggle, drawChart(stats), legend);
    if (stats.totals.PENDING > 0) {
      setTimeout(() => {
        if (ctx.isCurrent(view) && box.isConnected && turn === drawn) ctx.act(() => render(shown, refreshes + 1));
      }, refreshDelay(refreshes));
    }
  };
  ctx.act(() => render(window));
  return box;
}
