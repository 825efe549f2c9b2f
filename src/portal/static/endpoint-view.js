// One endpoint: its health, actions (test event, rotate secret, delete), edit and recover forms, a chart of its
// deliveries by outcome, delivery log.
import { deliveryChart } from './delivery-chart.js';
import { deliveryLog, WATCH_MS } from './delivery-log.js';
import { el, facts, linkButton } from './dom.js';
import { endpointForm } from './endpoint-form.js';
import {
  eventsOf,
  failureStreakOf,
  filterOf,
  headerNamesOf,
  isoFromLocalInput,
  lastSuccessOf,
  localInputFromDate,
  rateLimitOf,
  signatureOf,
  stateOf,
  when,
} from './format.js';

const TEST_EVENT_TYPE = 'WEBHOOK_TEST';

export async function endpointView(ctx, id, logState = {}) {
  const [s, catalog] = await Promise.all([ctx.request('GET', `/subscriptions/${id}`), ctx.eventTypes()]);
  const path = `/subscriptions/${s.id}`;

  // WEBHOOK_TEST (the default) or a sample of a catalog type, to this endpoint only, whatever its events.
  const testType = el(
    'select',
    { id: 'test-type', name: 'type', 'aria-label': 'test event type' },
    [TEST_EVENT_TYPE, ...catalog].map((type) => el('option', { value: type }, type)),
  );
  const sendTest = el(
    'button',
    {
      type: 'button',
      id: 'send-test',
      disabled: !s.isActive,
      onclick: () =>
        ctx.act(async () => {
          const body = testType.value === TEST_EVENT_TYPE ? {} : { type: testType.value };
          const sent = await ctx.request('POST', `${path}/test`, body);
          await ctx.go.endpoint(s.id, { watchUntil: Date.now() + WATCH_MS });
          ctx.say(`Test event sent (delivery ${sent.deliveryId}).`);
        }),
    },
    'Send test event',
  );

  const rotate = el(
    'button',
    {
      type: 'button',
      id: 'rotate',
      onclick: () =>
        ctx.act(async () => {
          const { secret, publicKey } = await ctx.request('POST', `${path}/secret/rotate`, {});
          if (publicKey) {
            await ctx.go.endpoint(s.id);
            ctx.showPublicKey(publicKey, 'The previous key keeps signing beside it for 24 hours.');
          } else ctx.showSecret(secret, 'The previous secret keeps signing beside it for 24 hours.');
        }),
    },
    s.signatureScheme === 'ed25519' ? 'Rotate key' : 'Rotate secret',
  );

  const confirmDelete = el(
    'button',
    {
      type: 'button',
      id: 'confirm-delete',
      class: 'danger',
      hidden: true,
      onclick: () =>
        ctx.act(async () => {
          await ctx.request('DELETE', path);
          await ctx.go.endpoints();
          ctx.say('Endpoint deleted.');
        }),
    },
    'Really delete',
  );
  const remove = el(
    'button',
    {
      type: 'button',
      id: 'delete',
      onclick: () => {
        confirmDelete.hidden = false;
      },
    },
    'Delete…',
  );

  const edit = endpointForm({
    id: 'edit',
    subscription: s,
    submitLabel: 'Save changes',
    onSubmit: (body) =>
      ctx.act(async () => {
        await ctx.request('PATCH', path, body);
        await ctx.go.endpoint(s.id);
        ctx.say('Endpoint saved.');
      }),
    onInvalid: (error) =>
      ctx.act(() => {
        throw error;
      }),
  });

  ctx.show(
    el(
      'p',
      {},
      linkButton('← Endpoints', () => ctx.go.endpoints()),
    ),
    el('h1', { id: 'endpoint-url' }, s.url),
    s.description ? el('p', { id: 'endpoint-description' }, s.description) : null,
    facts('health', [
      ['State', stateOf(s), 'state'],
      ['Last success', lastSuccessOf(s), 'last-success'],
      ['Failure streak', failureStreakOf(s), 'failures'],
      ['Events', eventsOf(s), 'events'],
      ['Rate limit', rateLimitOf(s), 'rate-limit'],
      ['Ordered', s.ordered ? 'yes: one event at a time per ordering key' : 'no', 'ordered'],
      ['Filter', filterOf(s), 'filter'],
      ['Custom headers', headerNamesOf(s), 'headers'],
      ['Signature', signatureOf(s), 'signature'],
      ['Created', when(s.createdAt)],
    ]),
    el('div', { class: 'toolbar' }, testType, sendTest, rotate, remove, confirmDelete),
    s.isActive
      ? null
      : el(
          'p',
          { id: 'inactive-note', class: 'muted' },
          'Test events, retries and recovery need an active endpoint: tick Active under Edit endpoint.',
        ),
    el('details', { id: 'edit-section' }, el('summary', {}, 'Edit endpoint'), edit),
    el('details', { id: 'recover-section' }, el('summary', {}, 'Recover failed deliveries'), recoverForm(ctx, s)),
    el('h2', {}, 'Deliveries'),
    deliveryChart(ctx, s),
    deliveryLog(ctx, s, logState),
  );
}

/**
 * Sends again every FAILURE delivery of the window (since, until?) with POST /subscriptions/:id/recover. The API
 * takes a bounded batch per call and answers `nextSince` when more remain: the next batch is one click away.
 */
function recoverForm(ctx, s) {
  const since = el('input', {
    name: 'since',
    type: 'datetime-local',
    required: true,
    value: localInputFromDate(new Date(Date.now() - 24 * 3_600_000)),
  });
  const until = el('input', { name: 'until', type: 'datetime-local' });
  const recover = async (body) => {
    const { deliveries, nextSince } = await ctx.request('POST', `/subscriptions/${s.id}/recover`, body);
    await ctx.go.endpoint(s.id, { watchUntil: Date.now() + WATCH_MS });
    ctx.say(
      `${deliveries} failed ${deliveries === 1 ? 'delivery' : 'deliveries'} sent again.`,
      nextSince
        ? [
            ' More remain in the window: ',
            el(
              'button',
              { type: 'button', id: 'recover-next', onclick: () => ctx.act(() => recover({ ...body, since: nextSince })) },
              'Recover the next batch',
            ),
          ]
        : null,
    );
  };
  return el(
    'form',
    {
      id: 'recover',
      onsubmit: (event) => {
        event.preventDefault();
        const body = { since: isoFromLocalInput(since.value) };
        const end = isoFromLocalInput(until.value);
        if (end) body.until = end;
        ctx.act(() => recover(body));
      },
    },
    el('label', {}, el('span', {}, 'Since'), since),
    el('label', {}, el('span', {}, 'Until (empty: now)'), until),
    el('button', { type: 'submit' }, 'Recover'),
  );
}
