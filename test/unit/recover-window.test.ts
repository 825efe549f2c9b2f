import { checkRecoverWindow, RECOVER_MAX_AGE_DAYS } from '../../src/deliveries/recover-window';
import { recoverSchema } from '../../src/api/deliveries.schemas';

const now = new Date('2026-12-02T12:00:00.000Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();

describe('the recover window', () => {
  it('accepts a window in the last 14 days and defaults until to now', () => {
    expect(checkRecoverWindow({ since: hoursAgo(2) }, now)).toEqual({ ok: true, window: { since: hoursAgo(2), until: now.toISOString() } });
    expect(checkRecoverWindow({ since: hoursAgo(5), until: hoursAgo(1) }, now)).toEqual({
      ok: true,
      window: { since: hoursAgo(5), until: hoursAgo(1) },
    });
    expect(checkRecoverWindow({ since: hoursAgo(RECOVER_MAX_AGE_DAYS * 24) }, now).ok).toBe(true);
    // until may lie ahead: nothing was created there yet.
    expect(checkRecoverWindow({ since: hoursAgo(1), until: '2026-12-03T00:00:00Z' }, now).ok).toBe(true);
    // Offsets other than Z keep their text: Postgres compares it at full precision.
    expect(checkRecoverWindow({ since: '2026-12-02T10:30:00.123456+01:00' }, now)).toEqual({
      ok: true,
      window: { since: '2026-12-02T10:30:00.123456+01:00', until: now.toISOString() },
    });
  });

  it.each<[string, { since: string; until?: string }, Array<{ field: string; message: RegExp }>]>([
    ['since in the future', { since: '2026-12-02T13:00:00Z' }, [{ field: 'since', message: /in the past/ }]],
    ['since now', { since: now.toISOString() }, [{ field: 'since', message: /in the past/ }]],
    ['since past the bound', { since: hoursAgo(RECOVER_MAX_AGE_DAYS * 24 + 1) }, [{ field: 'since', message: /at most 14 days ago/ }]],
    ['until equal to since', { since: hoursAgo(3), until: hoursAgo(3) }, [{ field: 'until', message: /after since/ }]],
    ['until before since', { since: hoursAgo(3), until: hoursAgo(4) }, [{ field: 'until', message: /after since/ }]],
    [
      'since too old and inverted',
      { since: hoursAgo(24 * 20), until: hoursAgo(24 * 21) },
      [
        { field: 'since', message: /14 days/ },
        { field: 'until', message: /after since/ },
      ],
    ],
  ])('refuses %s, naming each problem', (_name, input, expected) => {
    const checked = checkRecoverWindow(input, now);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      expect(checked.problems[i].field).toBe(e.field);
      expect(checked.problems[i].message).toMatch(e.message);
    });
  });

  it('the request schema takes a nextSince as it is answered (microseconds, Z) and any offset', () => {
    expect(recoverSchema.safeParse({ since: '2026-12-02T10:30:00.123456Z' }).success).toBe(true);
    expect(recoverSchema.safeParse({ since: '2026-12-02T10:30:00+01:00', until: '2026-12-02T11:00:00.5Z' }).success).toBe(true);
  });

  it.each([
    [{}],
    [{ since: 'yesterday' }],
    [{ since: '2026-12-01' }],
    [{ since: '2026-12-01T10:00:00' }],
    [{ since: '2026-02-30T10:00:00Z' }],
    [{ since: 1764633600 }],
    [{ since: '2026-12-01T10:00:00Z', until: 'later' }],
    [{ since: '2026-12-01T10:00:00Z', limit: 5 }],
  ])('the request schema refuses the malformed body %j', (body) => {
    expect(recoverSchema.safeParse(body).success).toBe(false);
  });
});
