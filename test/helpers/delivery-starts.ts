/**
 * The real Temporal delivery starter with every call counted by workflow id, so that a test can assert that each
 * delivery workflow was started exactly once (not only that the receiver saw it once).
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../../src/config';
import { createDeliveryStarter } from '../../src/deliveries/delivery-starter';
import type { StartDelivery } from '../../src/events/dispatcher';

export interface CountedStarts {
  readonly startDelivery: StartDelivery;
  /** Workflow id -> how many calls answered `started`. */
  readonly started: Map<string, number>;
  /** Calls that answered `already-started` (a second start of the same id, refused by Temporal). */
  alreadyStarted(): number;
  /** Workflow ids of those calls. */
  readonly alreadyStartedIds: string[];
  /** Calls in all, failed ones included. */
  calls(): number;
  /**
   * The starts of one subscription's workflows only: the listener's sweep also re-dispatches events other test files
   * left undispatched in the shared database, which are none of the test's business.
   */
  of(subscriptionId: string): { started: Map<string, number>; alreadyStarted: number };
}

export function countedStarter(client: Client, config: Pick<Config, 'temporal' | 'delivery'>): CountedStarts {
  const real = createDeliveryStarter({ client, config });
  const started = new Map<string, number>();
  let already = 0;
  const alreadyStartedIds: string[] = [];
  let calls = 0;
  return {
    started,
    alreadyStartedIds,
    alreadyStarted: () => already,
    calls: () => calls,
    of: (subscriptionId) => {
      const mine = (id: string) => id.endsWith(`:${subscriptionId}`);
      return {
        started: new Map([...started].filter(([id]) => mine(id))),
        alreadyStarted: alreadyStartedIds.filter(mine).length,
      };
    },
    startDelivery: async (start) => {
      calls += 1;
      const outcome = await real(start);
      const id = `delivery:${start.eventId}:${start.subscriptionId}`;
      if (outcome === 'started') started.set(id, (started.get(id) ?? 0) + 1);
      else {
        already += 1;
        alreadyStartedIds.push(id);
      }
      return outcome;
    },
  };
}
