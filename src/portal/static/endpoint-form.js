// The endpoint form, for create (empty) and edit (filled with the subscription).
import { el } from './dom.js';
import { parseEvents } from './format.js';

/**
 * onSubmit receives the request body: on create, empty optional fields are left out; on edit, every field is sent
 * (an empty description or rate limit clears it).
 */
export function endpointForm({ id, subscription, submitLabel, onSubmit }) {
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

  const body = () => {
    const value = {
      url: url.value.trim(),
      events: parseEvents(events.value),
      description: description.value || null,
      isActive: active.checked,
      rateLimitPerSecond: rate.value === '' ? null : Number(rate.value),
      ordered: ordered.checked,
    };
    if (!editing) {
      if (value.description === null) delete value.description;
      if (value.rateLimitPerSecond === null) delete value.rateLimitPerSecond;
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
        onSubmit(body());
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
    el('button', { type: 'submit' }, submitLabel),
  );
}
