// One delivery and its attempts: status, duration, error and the receiver's response excerpt (as text), with Retry,
// and the event's body as sent (as text, capped by the API).
import { el, facts, linkButton, table } from './dom.js';
import { refreshDelay } from './delivery-log.js';
import { when } from './format.js';

const WATCH_MS = 30_000;

/**
 * watch: { attemptsBefore, until } after a retry: refresh until a new attempt has settled (or until `until`).
 * A PENDING delivery refreshes too, slowing down (`refreshes` counts them).
 */
export async function attemptView(ctx, subscriptionId, deliveryId, watch, refreshes = 0) {
  const d = await ctx.request('GET', `/deliveries/${deliveryId}`);
  const view = ctx.currentView();
  const retry = el(
    'button',
    {
      type: 'button',
      id: 'retry',
      onclick: () =>
        ctx.act(async () => {
          await ctx.request('POST', `/deliveries/${d.id}/retry`);
          await ctx.go.delivery(subscriptionId, d.id, { attemptsBefore: d.attempts, until: Date.now() + WATCH_MS });
          ctx.say('Sent again: new attempts appear below.');
        }),
    },
    'Retry',
  );

  const rows = d.attemptLog.map((a) =>
    el(
      'tr',
      { class: a.statusCode >= 200 && a.statusCode < 300 ? 'ok' : 'failed' },
      el('td', {}, a.attempt),
      el('td', {}, when(a.startedAt)),
      el('td', { class: 'status-code' }, a.statusCode ?? '—'),
      el('td', {}, a.durationMs == null ? '' : `${a.durationMs} ms`),
      el('td', { class: 'error' }, a.error ?? ''),
      el('td', {}, el('pre', { class: 'response' }, a.responseBody ?? '')),
    ),
  );

  ctx.show(
    el(
      'p',
      {},
      linkButton('← Endpoint', () => ctx.go.endpoint(subscriptionId)),
    ),
    el('h1', {}, 'Delivery of ', d.eventType),
    facts('delivery', [
      ['Status', el('span', { id: 'delivery-status', class: `badge ${d.status.toLowerCase()}` }, d.status)],
      ['Attempts', d.attempts],
      ['Event id', d.eventId],
      ['Delivery id', d.id],
      ...(d.orderingKey ? [['Ordering key', el('span', { id: 'ordering-key' }, d.orderingKey)]] : []),
      ...(d.waitingFor
        ? [
            [
              'Waiting for',
              linkButton(d.waitingFor, () => ctx.go.delivery(subscriptionId, d.waitingFor), { id: 'waiting-for', class: 'link' }),
            ],
          ]
        : []),
      ['Created', when(d.createdAt)],
      ['Updated', when(d.updatedAt)],
    ]),
    el('div', { class: 'toolbar' }, retry),
    rows.length
      ? table('attempts', ['#', 'Started', 'HTTP status', 'Duration', 'Error', 'Response excerpt'], rows)
      : el('p', { id: 'attempts', class: 'muted' }, 'No attempt recorded yet.'),
    el('h2', {}, 'Event payload'),
    payloadView(d),
  );
  const awaitingRetry = watch && d.attempts <= watch.attemptsBefore && Date.now() < watch.until;
  if (d.status === 'PENDING' || awaitingRetry) {
    setTimeout(() => {
      if (ctx.isCurrent(view)) ctx.act(() => attemptView(ctx, subscriptionId, deliveryId, watch, refreshes + 1));
    }, refreshDelay(refreshes));
  }
}

/** The event body as stored (the bytes sent), written as text: never parsed as HTML, never pretty-printed. */
function payloadView(d) {
  if (d.payload === null || d.payload === undefined) {
    return el('p', { id: 'payload', class: 'muted' }, 'The event is no longer stored (removed by retention).');
  }
  return el(
    'div',
    { id: 'payload-view' },
    el('pre', { id: 'payload' }, d.payload),
    d.payloadTruncated
      ? el(
          'p',
          { id: 'payload-truncated', class: 'muted' },
          `Cut: only the first ${[...d.payload].length.toLocaleString('en')} characters are shown.`,
        )
      : null,
  );
}
