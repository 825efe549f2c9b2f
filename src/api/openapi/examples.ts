/** Example values shared by the routes' OpenAPI descriptions (each one is validated against its schema in tests). */
export const EXAMPLE_SUBSCRIPTION_ID = 'fa720a5b-5b2e-4c1e-9a3e-2f0c1d2e3f40';
export const EXAMPLE_DELIVERY_ID = '4af5e9ca-0c7d-4b8e-8f61-1f2a3b4c5d6e';
export const EXAMPLE_TIME = '2026-11-28T18:00:00.000Z';
export const EXAMPLE_SECRET = 'whsec_ktMTizcr/CdwEcG+DO6ahn89Ia5Am1aO2D+iuj9D+wE=';

export const EXAMPLE_PUBLIC_KEY = 'whpk_xalFK7DUBlXJIp76wHArfeLGztKGXKTxNO1bHgdskWQ=';

export const exampleSubscription = {
  id: EXAMPLE_SUBSCRIPTION_ID,
  url: 'https://hooks.example.com/chat',
  events: ['NEW_MESSAGE_FROM_VISITOR', 'CONVERSATION_CREATED'],
  description: 'CRM sync',
  isActive: true,
  rateLimitPerSecond: null,
  ordered: false,
  filter: { 'message.attachments': { $exists: true } },
  headers: { Authorization: 'Bearer receiver-token' },
  signatureScheme: 'hmac',
  publicKey: null,
  disabledReason: null,
  disabledAt: null,
  lastSuccessAt: '2026-11-28T18:05:00.000Z',
  failingSince: null,
  consecutiveFailures: 0,
  createdAt: EXAMPLE_TIME,
  updatedAt: EXAMPLE_TIME,
};

export const exampleDelivery = {
  id: EXAMPLE_DELIVERY_ID,
  subscriptionId: EXAMPLE_SUBSCRIPTION_ID,
  eventId: 'evt_1',
  eventType: 'NEW_MESSAGE_FROM_VISITOR',
  status: 'SUCCESS',
  attempts: 2,
  lastStatusCode: 200,
  lastError: null,
  workflowId: `delivery:evt_1:${EXAMPLE_SUBSCRIPTION_ID}`,
  orderingKey: null,
  waitingFor: null,
  createdAt: EXAMPLE_TIME,
  updatedAt: '2026-11-28T18:00:05.250Z',
};
