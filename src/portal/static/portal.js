// The portal page: plain ES module, no build step, no framework. Every value from the API is written with
// text nodes (never parsed as HTML), so descriptions, errors and response excerpts render as text.
const token = (() => {
  const match = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  if (match) {
    sessionStorage.setItem('portal-token', decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem('portal-token');
})();

const app = document.getElementById('app');

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
  return node;
}

async function api(method, path, body) {
  const response = await fetch(`/portal/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw Object.assign(new Error(data?.error?.message ?? `HTTP ${response.status}`), { status: response.status });
  return data;
}

function show(...nodes) {
  app.replaceChildren(...nodes);
}

function fail(error) {
  show(el('p', { class: 'error', id: 'error' }, error.status === 401 ? 'This portal link is invalid or has expired.' : error.message));
}

async function endpointsView() {
  const page = await api('GET', '/subscriptions?limit=100');
  const rows = page.data.map((s) =>
    el('tr', { 'data-id': s.id },
      el('td', {}, el('a', { href: '#', onclick: (e) => { e.preventDefault(); deliveriesView(s).catch(fail); } }, s.url)),
      el('td', {}, s.description ?? ''),
      el('td', {}, s.isActive ? 'active' : `disabled${s.disabledReason ? ` (${s.disabledReason})` : ''}`),
      el('td', {}, s.lastSuccessAt ?? '—'),
      el('td', {}, s.failureStreak ?? '—'),
      el('td', {},
        el('button', { onclick: () => api('POST', `/subscriptions/${s.id}/test`).then(() => deliveriesView(s)).catch(fail) }, 'Send test'),
        el('button', { onclick: () => api('POST', `/subscriptions/${s.id}/recover`).then(endpointsView).catch(fail) }, 'Recover'),
        el('button', { onclick: () => api('DELETE', `/subscriptions/${s.id}`).then(endpointsView).catch(fail) }, 'Delete'),
      ),
    ),
  );
  const url = el('input', { name: 'url', placeholder: 'https://…', required: '' });
  const events = el('input', { name: 'events', placeholder: 'MESSAGE_CREATED, … or *', required: '' });
  const description = el('input', { name: 'description', placeholder: 'description' });
  const form = el('form', { id: 'create', onsubmit: (e) => {
    e.preventDefault();
    api('POST', '/subscriptions', {
      url: url.value,
      events: events.value.split(',').map((v) => v.trim()).filter(Boolean),
      ...(description.value ? { description: description.value } : {}),
    }).then((created) => endpointsView().then(() => app.prepend(
      el('p', { id: 'secret' }, 'Signing secret (shown once): ', el('code', {}, created.secret ?? '')),
    ))).catch(fail);
  } }, url, events, description, el('button', { type: 'submit' }, 'Create endpoint'));
  show(
    el('h1', {}, 'Endpoints'),
    el('table', { id: 'endpoints' },
      el('thead', {}, el('tr', {}, ...['URL', 'Description', 'State', 'Last success', 'Failure streak', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, ...rows)),
    el('h2', {}, 'New endpoint'), form,
  );
}

async function deliveriesView(subscription, status = '', cursor = '') {
  const query = new URLSearchParams({ limit: '50', ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) });
  const page = await api('GET', `/subscriptions/${subscription.id}/deliveries?${query}`);
  const filter = el('select', { id: 'status-filter', onchange: () => deliveriesView(subscription, filter.value).catch(fail) },
    ...['', 'PENDING', 'SUCCESS', 'FAILURE'].map((v) => { const o = el('option', { value: v }, v || 'all'); if (v === status) o.selected = true; return o; }));
  show(
    el('p', {}, el('a', { href: '#', onclick: (e) => { e.preventDefault(); endpointsView().catch(fail); } }, '← Endpoints')),
    el('h1', {}, 'Deliveries to ', subscription.url),
    filter,
    el('table', { id: 'deliveries' },
      el('thead', {}, el('tr', {}, ...['Event', 'Status', 'Attempts', 'Created', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, ...page.data.map((d) => el('tr', { 'data-id': d.id },
        el('td', {}, d.eventType ?? d.eventId ?? ''),
        el('td', { class: 'status' }, d.status),
        el('td', {}, typeof d.attempts === 'number' ? d.attempts : ''),
        el('td', {}, d.createdAt ?? ''),
        el('td', {},
          el('button', { onclick: () => attemptsView(subscription, d.id).catch(fail) }, 'Attempts'),
          el('button', { onclick: () => api('POST', `/deliveries/${d.id}/retry`).then(() => attemptsView(subscription, d.id)).catch(fail) }, 'Retry'),
        ))))),
    page.nextCursor ? el('button', { id: 'next', onclick: () => deliveriesView(subscription, status, page.nextCursor).catch(fail) }, 'Next page') : '',
  );
}

async function attemptsView(subscription, deliveryId) {
  const delivery = await api('GET', `/deliveries/${deliveryId}`);
  show(
    el('p', {}, el('a', { href: '#', onclick: (e) => { e.preventDefault(); deliveriesView(subscription).catch(fail); } }, '← Deliveries')),
    el('h1', {}, 'Delivery ', delivery.id, ' — ', delivery.status),
    el('button', { onclick: () => api('POST', `/deliveries/${deliveryId}/retry`).then(() => attemptsView(subscription, deliveryId)).catch(fail) }, 'Retry'),
    el('table', { id: 'attempts' },
      el('thead', {}, el('tr', {}, ...['#', 'Status', 'Duration (ms)', 'Error', 'Response excerpt'].map((h) => el('th', {}, h)))),
      el('tbody', {}, ...(delivery.attemptLog ?? delivery.attemptHistory ?? []).map((a) => el('tr', {},
        el('td', {}, a.attempt ?? ''),
        el('td', {}, a.statusCode ?? ''),
        el('td', {}, a.durationMs ?? ''),
        el('td', {}, a.error ?? ''),
        el('td', {}, el('pre', {}, a.responseBody ?? '')),
      )))),
  );
}

if (!token) fail({ status: 401 });
else endpointsView().catch(fail);
