// The portal page: plain ES modules, no build step, no framework. Every value from the API is written as a text
// node (see dom.js), so descriptions, errors and response excerpts render as text, never as HTML.
import { createClient, takeToken } from './api.js';
import { attemptView } from './attempt-view.js';
import { el } from './dom.js';
import { endpointListView } from './endpoint-list.js';
import { endpointView } from './endpoint-view.js';

const app = document.getElementById('app');
const notice = document.getElementById('notice');
const token = takeToken();

let view = 0;
let eventTypes;

const ctx = {
  request: createClient(token),
  /** The current view's number; a refresh scheduled by an older view checks it and stops. */
  currentView: () => view,
  isCurrent: (number) => number === view,
  show: (...nodes) => app.replaceChildren(...nodes.filter(Boolean)),
  say: (...nodes) => notice.replaceChildren(el('p', { id: 'message' }, ...nodes)),
  /** A new signing secret: shown here once, kept nowhere. */
  showSecret: (secret, note) =>
    notice.replaceChildren(
      el('p', { id: 'secret' }, 'Signing secret (shown once, copy it now): ', el('code', {}, secret), note ? ` ${note}` : ''),
    ),
  /** An ed25519 endpoint's public key (not secret: the endpoint's page shows it too, and the JWKS lists it). */
  showPublicKey: (publicKey, note) =>
    notice.replaceChildren(
      el('p', { id: 'public-key' }, 'Public key (verify the v1a signatures with it): ', el('code', {}, publicKey), note ? ` ${note}` : ''),
    ),
  /** The catalog's event types (GET /event-types), fetched once per page load. */
  eventTypes: () =>
    (eventTypes ??= ctx.request('GET', '/event-types').then(
      (catalog) => catalog.data.map((e) => e.type),
      (error) => {
        eventTypes = undefined;
        throw error;
      },
    )),
  /** Runs an action; a failure is reported on the page. */
  act: (action) => Promise.resolve().then(action).catch(report),
  go: {
    endpoints: (options) => navigate(() => endpointListView(ctx, options)),
    endpoint: (id, logState) => navigate(() => endpointView(ctx, id, logState)),
    delivery: (subscriptionId, deliveryId, watch) => navigate(() => attemptView(ctx, subscriptionId, deliveryId, watch)),
  },
};

function navigate(render) {
  view += 1;
  notice.replaceChildren();
  return ctx.act(render);
}

function report(error) {
  if (error?.status === 401 || !token) {
    view += 1;
    notice.replaceChildren();
    app.replaceChildren(el('p', { class: 'error', id: 'error' }, 'This portal link is invalid or has expired. Ask for a new one.'));
    return;
  }
  const details = (error?.details ?? []).map((d) => el('li', {}, d.field ? `${d.field}: ${d.message}` : d.message));
  notice.replaceChildren(
    el(
      'div',
      { class: 'error', id: 'error', role: 'alert' },
      el('p', {}, error?.message ?? String(error)),
      details.length ? el('ul', {}, details) : null,
    ),
  );
}

// navigate() never rejects: ctx.act reports a failure on the page.
if (token) void ctx.go.endpoints();
else report({ status: 401 });
