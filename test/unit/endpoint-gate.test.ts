import { createEndpointGate, MAX_TRACKED_ENDPOINTS, MIN_BUSY_WAIT_MS, type EndpointPass, type GateDecision } from '../../src/throttling/endpoint-gate';

function passOf(decision: GateDecision): EndpointPass {
  if (!decision.entered) throw new Error(`expected to enter, was told to wait ${decision.waitMs} ms`);
  return decision.pass;
}

function waitOf(decision: GateDecision): number {
  if (decision.entered) throw new Error('expected to wait, entered');
  return decision.waitMs;
}

describe('endpoint gate (requests in flight per subscription, per worker)', () => {
  let now: number;
  const gateOf = (maxInFlight: number) => createEndpointGate({ maxInFlight, assumedDurationMs: 5_000, nowMs: () => now });
  beforeEach(() => {
    now = 1_000_000;
  });

  it('lets in up to the bound, then answers busy, and lets in again once a request leaves', () => {
    const gate = gateOf(3);
    const passes = [1, 2, 3].map(() => passOf(gate.tryEnter('sub-a')));
    expect(gate.inFlight('sub-a')).toBe(3);
    expect(gate.tryEnter('sub-a').entered).toBe(false);
    passes[0]!.leave(20);
    expect(gate.inFlight('sub-a')).toBe(2);
    expect(gate.tryEnter('sub-a').entered).toBe(true);
  });

  it('bounds each endpoint apart: a busy one does not stop another', () => {
    const gate = gateOf(2);
    passOf(gate.tryEnter('hanging'));
    passOf(gate.tryEnter('hanging'));
    expect(gate.tryEnter('hanging').entered).toBe(false);
    for (let i = 0; i < 50; i += 1) passOf(gate.tryEnter('fast')).leave(5);
    expect(gate.inFlight('fast')).toBe(0);
    expect(gate.inFlight('hanging')).toBe(2);
  });

  it('spreads busy callers at the pace places free: turns a request duration / bound apart', () => {
    const gate = gateOf(4);
    const passes = [1, 2, 3, 4].map(() => passOf(gate.tryEnter('slow')));
    passes[0]!.leave(2_000); // one finished request: the average is 2 s
    passOf(gate.tryEnter('slow'));
    // 2000 ms / 4 places: one frees about every 500 ms; each busy caller gets the next turn.
    expect([1, 2, 3].map(() => waitOf(gate.tryEnter('slow')))).toEqual([500, 1_000, 1_500]);
    now += 1_200; // the first two turns have passed: the next caller comes after the last turn handed out
    expect(waitOf(gate.tryEnter('slow'))).toBe(800);
  });

  it('assumes the request timeout for an endpoint none of whose requests has finished (a hanging one)', () => {
    const gate = gateOf(5);
    for (let i = 0; i < 5; i += 1) passOf(gate.tryEnter('cold'));
    expect(waitOf(gate.tryEnter('cold'))).toBe(1_000);
  });

  it('never waits less than the minimum, however fast the endpoint', () => {
    const gate = gateOf(1);
    const pass = passOf(gate.tryEnter('fast'));
    pass.leave(1);
    passOf(gate.tryEnter('fast'));
    expect(waitOf(gate.tryEnter('fast'))).toBe(MIN_BUSY_WAIT_MS);
  });

  it('counts a pass once, however often it is left, and keeps the average when no request was made', () => {
    const gate = gateOf(2);
    const pass = passOf(gate.tryEnter('sub'));
    passOf(gate.tryEnter('sub'));
    pass.leave();
    pass.leave();
    expect(gate.inFlight('sub')).toBe(1);
    passOf(gate.tryEnter('sub'));
    // Still no finished request on record: the request timeout is assumed.
    expect(waitOf(gate.tryEnter('sub'))).toBe(2_500);
  });

  it('remembers an endpoint\'s average between bursts, and forgets idle endpoints only past the tracking bound', () => {
    const gate = gateOf(2);
    passOf(gate.tryEnter('sub')).leave(400);
    expect(gate.inFlight('sub')).toBe(0);
    passOf(gate.tryEnter('sub'));
    passOf(gate.tryEnter('sub'));
    expect(waitOf(gate.tryEnter('sub'))).toBe(200);
    // Many idle endpoints: past the bound the idle ones are dropped (the busy one keeps its state).
    for (let i = 0; i <= MAX_TRACKED_ENDPOINTS; i += 1) passOf(gate.tryEnter(`idle-${i}`)).leave(400);
    now += 10_000;
    passOf(gate.tryEnter('other')).leave(1);
    expect(gate.inFlight('sub')).toBe(2);
    passOf(gate.tryEnter('idle-0'));
    passOf(gate.tryEnter('idle-0'));
    // Forgotten: no average on record any more, the request timeout is assumed again.
    expect(waitOf(gate.tryEnter('idle-0'))).toBe(2_500);
  });
});
