// An endpoint's delivery log: one page at a time (the API's cursor; never every page), a status filter, a search by
// event id (exact), and a refresh (slowing down) while the page shows a PENDING delivery.
import { el, linkButton, table } from './dom.js';
import { when } from './format.js';

const PAGE_SIZE = 25;
const STATUSES = ['', 'PENDING', 'SUCCESS', 'FAILURE'];
/** Refreshes start at 1.5 s and slow down to one every 30 s (a delivery may retry for a day). */
export const refreshDelay = (count) => Math.min(1500 * 1.5 ** count, 30_000);
/** How long the log keeps refreshing after a test event or a recover (the new attempts may take a moment). */
export const WATCH_MS = 15_000;

/**
 * state: { status, eventId, cursor, previous, watchUntil } (previous: the cursors of the pages before this one, for
 * "Newer"; watchUntil: keep refreshing until then, after an action whose deliveries may not show yet).
 * Returns the container at once; it fills itself.
 */
export function deliveryLog(ctx, subscription, state = {}) {
  const box = el('section', { id: 'delivery-log' }, el('p', { class: 'muted' }, 'Loading deliveries…'));
  const view = ctx.currentView();
  const render = async ({ status = '', eventId = '', cursor = '', previous = [], watchUntil = 0, refreshes = 0 }) => {
    const query = new URLSearchParams({
      limit: String(PAGE_SIZE),
      ...(status ? { status } : {}),
      ...(eventId ? { eventId } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const page = await ctx.request('GET', `/subscriptions/${subscription.id}/deliveries?${query}`);
    if (!ctx.isCurrent(view)) return;
    const show = (next) => ctx.act(() => render(next));

    const filter = el(
      'select',
      { id: 'status-filter', name: 'status', onchange: () => show({ status: filter.value, eventId }) },
      STATUSES.map((v) => el('option', { value: v }, v || 'all')),
    );
    filter.value = status;
    const search = el('input', {
      id: 'event-id-search',
      name: 'eventId',
      type: 'search',
      maxlength: '200',
      placeholder: 'exact event id',
      'aria-label': 'Search by event id',
      value: eventId,
    });
    const searchForm = el(
      'form',
      {
        id: 'event-search',
        role: 'search',
        onsubmit: (event) => {
          event.preventDefault();
          show({ status, eventId: search.value.trim() });
        },
      },
      el('label', {}, el('span', {}, 'Event id '), search),
      el('button', { type: 'submit', id: 'search' }, 'Search'),
      eventId ? el('button', { type: 'button', id: 'clear-search', onclick: () => show({ status }) }, 'Clear') : null,
    );
    const rows = page.data.map((d) =>
      el(
        'tr',
        { 'data-id': d.id, class: `status-${d.status.toLowerCase()}` },
        el('td', {}, when(d.createdAt)),
        el('td', {}, d.eventType),
        el('td', { class: 'status' }, d.waitingFor ? `${d.status} (waiting for its turn)` : d.status),
        el('td', { class: 'attempts' }, d.attempts),
        el('td', {}, d.lastStatusCode ?? ''),
        el('td', { class: 'last-error' }, d.lastError ?? ''),
        el(
          'td',
          {},
          linkButton('Attempts', () => ctx.go.delivery(subscription.id, d.id), { class: 'link open-attempts' }),
        ),
      ),
    );
    box.replaceChildren(
      el(
        'div',
        { class: 'toolbar' },
        el('label', {}, el('span', {}, 'Status '), filter),
        el('button', { type: 'button', id: 'refresh', onclick: () => show({ status, eventId, cursor, previous }) }, 'Refresh'),
        searchForm,
      ),
      rows.length
        ? table('deliveries', ['Created', 'Event', 'Status', 'Attempts', 'Last HTTP status', 'Last error', ''], rows)
        : el('p', { id: 'deliveries', class: 'muted' }, emptyNote(status, eventId)),
      el(
        'nav',
        { class: 'pager' },
        previous.length
          ? el(
              'button',
              {
                type: 'button',
                id: 'newer',
                onclick: () => show({ status, eventId, cursor: previous.at(-1), previous: previous.slice(0, -1) }),
              },
              '← Newer',
            )
          : null,
        page.nextCursor
          ? el(
              'button',
              {
                type: 'button',
                id: 'older',
                onclick: () => show({ status, eventId, cursor: page.nextCursor, previous: [...previous, cursor] }),
              },
              'Older →',
            )
          : null,
      ),
    );
    if (page.data.some((d) => d.status === 'PENDING') || Date.now() < watchUntil) {
      const again = { status, eventId, cursor, previous, watchUntil, refreshes: refreshes + 1 };
      setTimeout(() => {
        if (ctx.isCurrent(view) && box.isConnected) ctx.act(() => render(again));
      }, refreshDelay(refreshes));
    }
  };
  ctx.act(() => render(state));
  return box;
}

function emptyNote(status, eventId) {
  if (eventId) return `No ${status ? `${status} ` : ''}delivery of event ${eventId}.`;
  return status ? `No ${status} deliveries.` : 'No deliveries yet.';
}
