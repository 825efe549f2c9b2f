/**
 * The node-postgres client every pool of the engine uses: each query's parameters are made storable
 * (src/shared/storable-text.ts) before they are sent. This is the one place where text from outside (a rejected
 * message, a reason that quotes it, a receiver's answer, an API field) meets Postgres, so no call site can forget it.
 */
import { Client } from 'pg';
import { storableParameters } from '../shared/storable-text';

type AnyQuery = (this: Client, ...args: unknown[]) => unknown;

export class StorableTextClient extends Client {}

// eslint-disable-next-line @typescript-eslint/unbound-method -- taken unbound on purpose: called below with .apply(this).
const clientQuery = Client.prototype.query as unknown as AnyQuery;

/** Assigned on the prototype: `Client.query`'s overloads cannot be re-declared by a subclass method. */
(StorableTextClient.prototype as unknown as { query: AnyQuery }).query = function query(this: Client, ...args: unknown[]) {
  const [config, values] = args;
  if (Array.isArray(values)) {
    args[1] = storableParameters(values);
  } else if (config && typeof config === 'object' && Array.isArray((config as { values?: unknown }).values)) {
    const withValues = config as { values: unknown[]; submit?: unknown };
    // A Submittable (a cursor, a stream) carries its own values and is passed through as it is.
    if (typeof withValues.submit !== 'function') args[0] = { ...withValues, values: storableParameters(withValues.values) };
  }
  return clientQuery.apply(this, args);
};
