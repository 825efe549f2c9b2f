// The endpoint form, for create (empty) and edit (filled with the subscription).
import { el } from './dom.js';
import { headersText, parseEvents, parseFilter, parseHeaders } from './format.js';

/**
 * onSubmit receives the request body: on create, empty optional fields are left out; on edit, every field is sent
 * (an empty description, rate limit, filter or headers clears it). onInvalid receives the error when the filter or
 * the headers cannot be read (nothing is sent then). The signature scheme is chosen at creation only.
 */
export function endpointForm({ id, subscription, submitLabel, onSubmit, onInvalid }) {
  const editing = Boolean(subscription);
  const url = el('input', { name: 'url', type: 'url', placeholder: 'https://…', required: true, value: subscription?.url });
  const events = el('input', {
    name: 'events',
    placeholder: 'NEW_MESSAGE_FROM_VISITOR, … or *',
    required: true,
    value: subscription?.events.join(', '),
  });
  const description = el('input', {
    name: 'description',
    placeholder: 'what this endpoint is for',
    maxlength: '500',
    value: subscription?.description,
  });
  const rate = el('input', {
    name: 'rateLimitPerSecond',
    type: 'number',
    min: '1',
    max: '10000',
    step: '1',
    placeholder: 'no limit',
    value: subscription?.rateLimitPerSecond,
  });
  const active = el('input', { name: 'isActive', type: 'checkbox', checked: subscription ? subscription.isActive : true });
  const ordered = el('input', { name: 'ordered', type: 'checkbox', checked: subscription ? subscription.ordered : false });
  const filter = el('textarea', {
    name: 'filter',
    rows: '3',
    spellcheck: 'false',
    placeholder: '{"message.attachments": {"$exists": true}}  (empty: every event of its types)',
  });
  filter.value = subscription?.filter ? JSON.stringify(subscription.filter, null, 2) : '';
  const headers = el('textarea', {
    name: 'headers',
    rows: '2',
    spellcheck: 'false',
    autocomplete: 'off',
    placeholder: 'Authorization: Bearer …  (one "Name: value" a line)',
  });
  headers.value = headersText(subscription?.headers);
  const scheme = editing
    ? null
    : el(
        'select',
        { name: 'signatureScheme', 'aria-label': 'signature scheme' },
        el('option', { value: 'hmac' }, 'HMAC-SHA256 (a secret)'),
        el('option', { value: 'ed25519' }, 'Ed25519 (a public key)'),
      );

  const body = () => {
    const value = {
      url: url.value.trim(),
      events: parseEvents(events.value),
      description: description.value || null,
      isActive: active.checked,
      rateLimitPerSecond: rate.value === '' ? null : Number(rate.value),
      ordered: ordered.checked,
      filter: parseFilter(filter.value),
      headers: parseHeaders(headers.value),
    };
    if (!editing) {
      if (value.description === null) delete value.description;
      if (value.rateLimitPerSecond === null) delete value.rateLimitPerSecond;
      if (value.filter === null) delete value.filter;
      if (value.headers === null) delete value.headers;
      value.signatureScheme = scheme.value;
    }
    return value;
  };

  const field = (label, input) => el('label', {}, el('span', {}, label), input);
  return el(
    'form',
    {
      id,
      class: 'endpoint-form',
      onsubmit: (event) => {
        event.preventDefault();
        let value;
        try {
          value = body();
        } catch (error) {
          onInvalid(error);
          return;
        }
        onSubmit(value);
      },
    },
    field('URL', url),
    field('Events (comma-separated)', events),
    field('Description', description),
    field('Rate limit (per second)', rate),
    el('label', { class: 'check' }, active, el('span', {}, 'Active')),
    el(
      'label',
      { class: 'check', title: 'Events that share an orderingKey arrive one at a time, in order' },
      ordered,
      el('span', {}, 'Ordered (one event at a time per ordering key)'),
    ),
    field("Filter on the event's data (JSON, MongoDB-style)", filter),
    field('Custom headers (sent on every attempt)', headers),
    scheme ? field('Signature', scheme) : null,
    el('button', { type: 'submit' }, submitLabel),
  );
}
