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
 * What counts is the HTTP request (from just before the POST until its answer), not the database writes around it.
 * An endpoint known to answer fast (recent average under `slowAfterMs`: half the request timeout, 2.5 s by default)
 * counts only its requests in flight for longer than that: under a loaded worker its many short requests hold nothing and are never put off, while an
 * endpoint that starts hanging meets the bound once its requests age. An endpoint that is slow, or not known yet
 * (none of its requests has finished on this worker), counts every request in flight: a hanging endpoint never
 * holds more than the bound, even in its first burst.
 *
 * The wait told to a busy caller spreads a backlog at the pace the endpoint frees places: turns are handed out
 * `duration / maxInFlight` apart (duration: the endpoint's recent average, or the age of its oldest request in
 * flight if longer), so a hanging endpoint's waiting deliveries come back about as fast as places free, not all at
 * once. In-process and synchronous: no lock, no I/O, a few operations per attempt.
 */

/** The shortest wait told to a busy caller. */
export const MIN_BUSY_WAIT_MS = 50;
/**
 * The default of `slowAfterMs`: a request in flight longer than this is one the endpoint is holding; an endpoint whose
 * recent requests took longer on average is a slow one. Workers use half the request timeout (see activity-deps):
 * well under a hanging request's duration, well over what a loaded worker adds to a fast one.
 */
export const SLOW_AFTER_MS = 1_000;
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
  /** See SLOW_AFTER_MS. */
  readonly slowAfterMs?: number;
  readonly nowMs?: () => number;
}

interface EndpointState {
  /** Start times of the requests in flight, oldest first. */
  readonly starts: number[];
  /** Moving average of finished requests' durations; undefined until one finishes. */
  averageMs: number | undefined;
  /** The latest turn handed to a busy caller (ms since the epoch). */
  lastTurnAt: number;
}

export function createEndpointGate(options: EndpointGateOptions): EndpointGate {
  const { maxInFlight } = options;
  const slowAfterMs = options.slowAfterMs ?? SLOW_AFTER_MS;
  const nowMs = options.nowMs ?? Date.now;
  const endpoints = new Map<string, EndpointState>();

  /**
   * The requests that count against the bound. An endpoint known to answer fast holds a place only with a request
   * that has been in flight past slowAfterMs (it started hanging); any other endpoint (slow, or none of whose
   * requests has finished yet) with every request in flight.
   */
  const held = (state: EndpointState, now: number): number => {
    if (state.averageMs === undefined || state.averageMs >= slowAfterMs) return state.starts.length;
    let old = 0;
    while (old < state.starts.length && (state.starts[old] as number) <= now - slowAfterMs) old += 1;
    return old;
  };

  const leave = (endpoint: string, state: EndpointState, startedAt: number, durationMs: number | undefined) => {
    const index = state.starts.indexOf(startedAt);
    if (index >= 0) state.starts.splice(index, 1);
    if (durationMs !== undefined) {
      const duration = Math.max(0, durationMs);
      state.averageMs = state.averageMs === undefined ? duration : state.averageMs + DURATION_WEIGHT * (duration - state.averageMs);
    }
    if (state.starts.length === 0 && endpoints.size > MAX_TRACKED_ENDPOINTS) forgetIdle();
  };

  /** Drops every endpoint with nothing in flight and no turn outstanding (rare: only past MAX_TRACKED_ENDPOINTS). */
  const forgetIdle = () => {
    const now = nowMs();
    for (const [endpoint, state] of endpoints) {
      if (state.starts.length === 0 && state.lastTurnAt <= now) endpoints.delete(endpoint);
    }
  };

  return {
    tryEnter(endpoint) {
      const now = nowMs();
      let state = endpoints.get(endpoint);
      if (!state) {
        state = { starts: [], averageMs: undefined, lastTurnAt: 0 };
        endpoints.set(endpoint, state);
      }
      if (held(state, now) < maxInFlight) {
        state.starts.push(now);
        const entered = state;
        let left = false;
        return {
          entered: true,
          pass: {
            leave(durationMs) {
              if (left) return;
              left = true;
              leave(endpoint, entered, now, durationMs);
            },
          },
        };
      }
      // How long a place takes to free: the endpoint's average, or the age of its oldest request if longer.
      const oldestAge = now - (state.starts[0] ?? now);
      const durationMs = Math.max(state.averageMs ?? 0, oldestAge, MIN_BUSY_WAIT_MS);
      const turn = Math.max(now, state.lastTurnAt) + durationMs / maxInFlight;
      state.lastTurnAt = turn;
      return { entered: false, waitMs: Math.max(MIN_BUSY_WAIT_MS, Math.ceil(turn - now)) };
    },
    inFlight: (endpoint) => endpoints.get(endpoint)?.starts.length ?? 0,
  };
}
