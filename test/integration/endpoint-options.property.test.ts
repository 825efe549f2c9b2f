/**
 * Whatever a client sends as `filter` or `headers` (any JSON, any code point, __proto__ keys, deep nesting), creating
 * or patching a subscription answers 201/200 or 400 validation_failed, never 5xx; and a filter the API accepted reads
 * back as sent.
 */
import fc from 'fast-check';
import { ApiHarness, PUBLIC_HOST, startApiHarness } from '../helpers/api-harness';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz';

const settings = (base: number) => ({ seed: fuzzSeed(2025), numRuns: fuzzRuns(base) });

const key = fc.oneof(
  fc.constantFrom('$and', '$or', '$eq', '$ne', '$gt', '$in', '$nin', '$exists', '$regex', '__proto__', 'a.b', 'a..b', '', 'tags', '0'),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 3 }), fc.array(fc.tuple(key, tie('v')), { maxLength: 3 })),
})).v;

/** JSON text of a value, tuples-lists rendered as objects so that keys such as __proto__ stay own keys. */
function jsonText(v: unknown): string {
  if (Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string')) {
    return `{${(v as Array<[string, unknown]>).map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(',')}}`;
  }
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  return JSON.stringify(v);
}

describe('endpoint options, any input', () => {
  let api: ApiHarness;
  let account: { key: string };
  let target: string;

  beforeAll(async () => {
    api = await startApiHarness({ env: { WEBHOOKS_MAX_SUBSCRIPTIONS_PER_ACCOUNT: '100000' } });
    account = await api.newAccount('options-fuzz');
    target = (
      await api.request('POST', '/webhooks/subscriptions', { key: account.key, body: { url: `https://${PUBLIC_HOST}/f`, events: ['*'] } })
    ).body.id;
  });
  afterAll(() => api.close());

  it('never answers 5xx to any filter or headers, at create or PATCH; an accepted filter reads back as sent', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(value, fc.oneof(fc.constant(null), value), fc.boolean(), async (filter, headers, patching) => {
        const options = `"filter":${jsonText(filter)},"headers":${jsonText(headers)}`;
        const res = patching
          ? await api.request('PATCH', `/webhooks/subscriptions/${target}`, { key: account.key, rawBody: `{${options}}` })
          : await api.request('POST', '/webhooks/subscriptions', {
              key: account.key,
              rawBody: `{"url":"https://${PUBLIC_HOST}/f","events":["*"],${options}}`,
            });
        if (res.status >= 500) throw new Error(`answered ${res.status}: ${res.text.slice(0, 300)}`);
        expect([200, 201, 400]).toContain(res.status);
        if (res.status === 400) expect(res.body.error.code).toBe('validation_failed');
        else {
          accepted += 1;
          expect(res.body.filter).toEqual(JSON.parse(jsonText(filter)));
        }
      }),
      settings(150),
    );
    // The run reaches the accepting side too, not only refusals.
    expect(accepted).toBeGreaterThan(0);
  });
});
