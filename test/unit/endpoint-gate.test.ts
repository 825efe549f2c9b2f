import {
  createEndpointGate,
  MAX_TRACKED_ENDPOINTS,
  MIN_BUSY_WAIT_MS,
  SLOW_AFTER_MS,
  type EndpointPass,
  type GateDecision,
} from '../../src/throttling/endpoint-gate';

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
  const gateOf = (maxInFlight: number) => createEndpointGate({ maxInFlight, nowMs: () => now });
  beforeEach(() => {
    now = 1_000_000;
  });

  it('lets in up to the bound, then answers busy, and lets in again once a request leaves', () => {
    const gate = gateOf(3);
    const passes = [1, 2, 3].map(() => passOf(gate.tryEnter('sub-a')));
    expect(gate.inFlight('sub-a')).toBe(3);
    expect(gate.tryEnter('sub-a').entered).toBe(false);
    passes[0]!.leave(2_000);
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

  it('holds an endpoint not known yet to the bound, even in its first burst', () => {
    const gate = gateOf(4);
    const entered = Array.from({ length: 20 }, () => gate.tryEnter('new')).filter((d) => d.entered);
    expect(entered).toHaveLength(4);
  });

  it('lets an endpoint known to answer fast past the bound while its requests are young, and bounds it once they age', () => {
    const gate = gateOf(2);
    passOf(gate.tryEnter('fast')).leave(20);
    for (let i = 0; i < 10; i += 1) passOf(gate.tryEnter('fast'));
    expect(gate.inFlight('fast')).toBe(10);
    // The endpoint stops answering: once its requests are in flight past SLOW_AFTER_MS they count.
    now += SLOW_AFTER_MS;
    expect(gate.tryEnter('fast').entered).toBe(false);
  });

  it('counts every request of a slow endpoint', () => {
    const gate = gateOf(2);
    passOf(gate.tryEnter('slow')).leave(SLOW_AFTER_MS + 500);
    passOf(gate.tryEnter('slow'));
    passOf(gate.tryEnter('slow'));
    expect(gate.tryEnter('slow').entered).toBe(false);
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

  it('paces the waiters of an endpoint none of whose requests has finished by the age of its oldest one', () => {
    const gate = gateOf(5);
    for (let i = 0; i < 5; i += 1) passOf(gate.tryEnter('cold'));
    expect(waitOf(gate.tryEnter('cold'))).toBe(MIN_BUSY_WAIT_MS);
    now += 4_000;
    // Turns 4000 / 5 = 800 ms apart, after the one already handed out.
    expect(waitOf(gate.tryEnter('cold'))).toBe(800);
    expect(waitOf(gate.tryEnter('cold'))).toBe(1_600);
  });

  it('counts a pass once, however often it is left, and keeps the average when no request was made', () => {
    const gate = gateOf(2);
    const pass = passOf(gate.tryEnter('sub'));
    passOf(gate.tryEnter('sub'));
    pass.leave();
    pass.leave();
    expect(gate.inFlight('sub')).toBe(1);
    // Still no finished request on record: every request in flight counts.
    passOf(gate.tryEnter('sub'));
    expect(gate.tryEnter('sub').entered).toBe(false);
  });

  it("remembers an endpoint's average between bursts, and forgets idle endpoints only past the tracking bound", () => {
    const gate = gateOf(2);
    passOf(gate.tryEnter('sub')).leave(1_600);
    passOf(gate.tryEnter('sub'));
    passOf(gate.tryEnter('sub'));
    expect(waitOf(gate.tryEnter('sub'))).toBe(800);
    passOf(gate.tryEnter('idle-0')).leave(1_600);
    // Many idle endpoints: past the bound the idle ones are dropped (the busy one keeps its state).
    for (let i = 1; i <= MAX_TRACKED_ENDPOINTS; i += 1) passOf(gate.tryEnter(`idle-${i}`)).leave(1_600);
    expect(gate.inFlight('sub')).toBe(2);
    now += 10_000;
    passOf(gate.tryEnter('idle-0'));
    passOf(gate.tryEnter('idle-0'));
    // Forgotten: no average on record any more, so the wait follows the age of its oldest request (the minimum).
    expect(waitOf(gate.tryEnter('idle-0'))).toBe(MIN_BUSY_WAIT_MS);
  });
});
