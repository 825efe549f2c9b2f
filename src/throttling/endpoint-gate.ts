/**
 * Bounds what one endpoint may hold of a worker's concurrency (WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT): at most
 * `maxInFlight` requests to one subscription are in flight from this worker at once. An attempt over the bound is not
 * made: the activity answers `throttled` (endpoint_busy) with a wait, and the workflow waits on a durable timer,
 * so a hanging endpoint's backlog holds no workflow-task, local-activity or activity slot that other endpoints need.
 *
 * The endpoint is the subscription, not the target host: it is known before any I/O, it is the unit users
 * configure (its URL, its rate limit), and one account's hanging endpoint then never throttles another account's
 * subscriptions that happen to share a large receiving host. (Many subscriptions of one host together may hold
 * more; the worker's slots still bound the total.)
 *
 * Only the HTTP request is counted (from just before the POST until its answer), not the database writes around
 * it: a fast endpoint holds a place for milliseconds and never meets the bound, whatever the worker's load.
 *
 * The wait told to a busy caller spreads a backlog at the pace the endpoint frees places: turns are handed out
 * `duration / maxInFlight` apart (duration: a moving average of this endpoint's recent requests, the request
 * timeout while none has finished), so a hanging endpoint's waiting deliveries come back about as fast as places
 * free, not all at once. In-process and synchronous: no lock, no I/O, a few map operations per attempt.
 */

/** The shortest spacing between two turns, and so the shortest wait. */
export const MIN_BUSY_WAIT_MS = 50;
/** Weight of the newest request in the moving average of an endpoint's request durations. */
const DURATION_WEIGHT = 0.2;
/** Idle endpoints are remembered (their average) until this many are tracked; then the idle ones are forgotten. */
export const MAX_TRACKED_ENDPOINTS = 10_000;

export interface EndpointPass {
  /**
   * Gives the place back once the request has its answer (or failed): `durationMs` feeds the endpoint's average;
   * without it (no request was made after all) the average is left as it is.
   */
  leave(durationMs?: number): void;
}

export type GateDecision = { readonly entered: true; readonly pass: EndpointPass } | { readonly entered: false; readonly waitMs: number };

export interface EndpointGate {
  /** Takes a place for one request to `endpoint`, or says how long to wait before asking again. */
  tryEnter(endpoint: string): GateDecision;
  /** Requests in flight to `endpoint` now (tests, diagnostics). */
  inFlight(endpoint: string): number;
}

export interface EndpointGateOptions {
  readonly maxInFlight: number;
  /** The duration assumed for an endpoint none of whose requests has finished yet (the request timeout). */
  readonly assumedDurationMs: number;
  readonly nowMs?: () => number;
}

interface EndpointState {
  inFlight: number;
  /** Moving average of finished requests' durations; undefined until one finishes. */
  averageMs: number | undefined;
  /** The latest turn handed to a busy caller (ms since the epoch). */
  lastTurnAt: number;
}

export function createEndpointGate(options: EndpointGateOptions): EndpointGate {
  const { maxInFlight, assumedDurationMs } = options;
  const nowMs = options.nowMs ?? Date.now;
  const endpoints = new Map<string, EndpointState>();

  const leave = (endpoint: string, state: EndpointState, durationMs: number | undefined) => {
    state.inFlight -= 1;
    if (durationMs !== undefined) {
      const duration = Math.max(0, durationMs);
      state.averageMs = state.averageMs === undefined ? duration : state.averageMs + DURATION_WEIGHT * (duration - state.averageMs);
    }
    if (state.inFlight === 0 && endpoints.size > MAX_TRACKED_ENDPOINTS) forgetIdle();
  };

  /** Drops every endpoint with nothing in flight and no turn outstanding (rare: only past MAX_TRACKED_ENDPOINTS). */
  const forgetIdle = () => {
    const now = nowMs();
    for (const [endpoint, state] of endpoints) {
      if (state.inFlight === 0 && state.lastTurnAt <= now) endpoints.delete(endpoint);
    }
  };

  return {
    tryEnter(endpoint) {
      let state = endpoints.get(endpoint);
      if (!state) {
        state = { inFlight: 0, averageMs: undefined, lastTurnAt: 0 };
        endpoints.set(endpoint, state);
      }
      if (state.inFlight < maxInFlight) {
        state.inFlight += 1;
        const entered = state;
        let left = false;
        return {
          entered: true,
          pass: {
            leave(durationMs) {
              if (left) return;
              left = true;
              leave(endpoint, entered, durationMs);
            },
          },
        };
      }
      const now = nowMs();
      const spacing = Math.max(MIN_BUSY_WAIT_MS, Math.ceil((state.averageMs ?? assumedDurationMs) / maxInFlight));
      const turn = Math.max(now, state.lastTurnAt) + spacing;
      state.lastTurnAt = turn;
      return { entered: false, waitMs: turn - now };
    },
    inFlight: (endpoint) => endpoints.get(endpoint)?.inFlight ?? 0,
  };
}
