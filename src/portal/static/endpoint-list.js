// The endpoints view: every endpoint of the account with its health, and the form to add one.
import { el, linkButton, table } from './dom.js';
import { WATCH_MS } from './delivery-log.js';
import { endpointForm } from './endpoint-form.js';
import { eventsOf, failureStreakOf, lastSuccessOf, stateOf } from './format.js';

const PAGE_SIZE = 50;

export async function endpointListView(ctx, { cursor } = {}) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(cursor ? { cursor } : {}) });
  const page = await ctx.request('GET', `/subscriptions?${query}`);

  const rows = page.data.map((s) =>
    el(
      'tr',
      { 'data-id': s.id, class: s.isActive ? '' : 'inactive' },
      el(
        'td',
        {},
        linkButton(s.url, () => ctx.go.endpoint(s.id), { class: 'link url' }),
        el('div', { class: 'muted' }, s.description),
      ),
      el('td', {}, eventsOf(s)),
      el('td', { class: 'state' }, stateOf(s)),
      el('td', { class: 'last-success' }, lastSuccessOf(s)),
      el('td', { class: 'failures' }, failureStreakOf(s)),
      el(
        'td',
        { class: 'actions' },
        s.isActive &&
          el(
            'button',
            {
              type: 'button',
              class: 'send-test',
              onclick: () =>
                ctx.act(async () => {
                  const sent = await ctx.request('POST', `/subscriptions/${s.id}/test`, {});
                  await ctx.go.endpoint(s.id, { watchUntil: Date.now() + WATCH_MS });
                  ctx.say(`Test event sent (delivery ${sent.deliveryId}).`);
                }),
            },
            'Send test',
          ),
        el('button', { type: 'button', onclick: () => ctx.go.endpoint(s.id) }, 'Open'),
      ),
    ),
  );

  const create = endpointForm({
    id: 'create',
    submitLabel: 'Create endpoint',
    onSubmit: (body) =>
      ctx.act(async () => {
        const created = await ctx.request('POST', '/subscriptions', body);
        await ctx.go.endpoints();
        if (created.publicKey) ctx.showPublicKey(created.publicKey);
        else ctx.showSecret(created.secret);
      }),
    onInvalid: (error) =>
      ctx.act(() => {
        throw error;
      }),
  });

  ctx.show(
    el('h1', {}, 'Endpoints'),
    page.data.length
      ? table('endpoints', ['Endpoint', 'Events', 'State', 'Last success', 'Failure streak', ''], rows)
      : el('p', { id: 'endpoints', class: 'muted' }, 'No endpoints yet.'),
    el(
      'nav',
      { class: 'pager' },
      cursor ? el('button', { type: 'button', onclick: () => ctx.go.endpoints() }, 'First page') : null,
      page.nextCursor
        ? el('button', { type: 'button', id: 'endpoints-next', onclick: () => ctx.go.endpoints({ cursor: page.nextCursor }) }, 'Next page')
        : null,
    ),
    el('h2', {}, 'New endpoint'),
    create,
  );
}
