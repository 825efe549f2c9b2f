import { checkTarget, createAllowList, judgeAddress, type Resolver } from '../../src/http/ssrf';
import { SSRF_CORPUS, STUB_DNS, type CorpusCase } from './fixtures/ssrf-corpus';

const noExemptions = createAllowList([]);

/** Answers from STUB_DNS; a name that is not there fails like a real NXDOMAIN. */
const stubResolver: Resolver = async (hostname) => {
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  const answers = STUB_DNS[name];
  if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

async function judge(entry: CorpusCase) {
  if (entry.kind === 'ip') return judgeAddress(entry.input, noExemptions);
  return checkTarget(entry.input, { requireHttps: false, allowList: noExemptions, resolver: stubResolver });
}

const label = (entry: CorpusCase) =>
  `${entry.expect === 'allow' ? 'accepts' : 'refuses'} ${entry.kind} ${JSON.stringify(entry.input.slice(0, 90))} [${entry.cls}, ${entry.source}]`;

describe('the SSRF corpus from public bypass lists', () => {
  it('holds at least 150 cases, both refused and accepted, with a reason for every refusal', () => {
    expect(SSRF_CORPUS.length).toBeGreaterThanOrEqual(150);
    expect(SSRF_CORPUS.filter((entry) => entry.expect === 'allow').length).toBeGreaterThanOrEqual(20);
    expect(SSRF_CORPUS.filter((entry) => entry.expect === 'refuse' && !entry.reason)).toEqual([]);
  });

  it('covers every class the issue names', () => {
    const classes = new Set(SSRF_CORPUS.map((entry) => entry.cls));
    const required = [
      'v4:this-network',
      'v4:private',
      'v4:cgnat',
      'v4:loopback',
      'v4:link-local',
      'v4:ietf-protocol',
      'v4:documentation',
      'v4:6to4-relay',
      'v4:benchmarking',
      'v4:multicast',
      'v4:reserved',
      'v4:broadcast',
      'v6:unspecified',
      'v6:loopback',
      'v6:reserved-::/8',
      'v6:ipv4-compatible',
      'v6:unique-local',
      'v6:link-local',
      'v6:site-local',
      'v6:multicast',
      'v6:discard',
      'v6:teredo',
      'v6:ietf-protocol',
      'v6:documentation',
      'v6:segment-routing',
      'v6:outside-2000::/3',
      'embed:mapped',
      'embed:nat64',
      'embed:nat64-local',
      'embed:6to4',
      'scheme',
      'parser:userinfo',
      'name:localhost',
      'name:localhost-subdomain',
      'name:trailing-dot',
      'name:local',
      'name:internal',
      'name:home.arpa',
      'name:single-label',
      'numeric:decimal',
      'numeric:octal',
      'numeric:hex',
      'numeric:short',
      'literal:v4',
      'literal:v6',
      'literal:mapped',
      'length',
      'dns:private',
      'dns:mixed',
      'v4:public',
      'v6:public',
      'public',
    ];
    expect(required.filter((cls) => !classes.has(cls))).toEqual([]);
  });

  it.each(SSRF_CORPUS.map((entry) => [label(entry), entry] as const))('%s', async (_name, entry) => {
    const verdict = await judge(entry);
    if (entry.expect === 'allow') {
      expect(verdict).toMatchObject({ allowed: true });
    } else {
      expect(verdict).toMatchObject({ allowed: false, reason: expect.stringContaining(entry.reason as string) });
      // What the API shows the client never names an address a host name resolved to (only what the client sent).
      const clientReason = (verdict as { clientReason?: string }).clientReason;
      const resolvedTo = /resolves to ([0-9a-f.:]+)/i.exec(verdict.allowed ? '' : verdict.reason)?.[1];
      if (resolvedTo && entry.kind !== 'ip' && !entry.input.includes(resolvedTo)) {
        expect(clientReason).toEqual(expect.any(String));
        expect(clientReason).not.toContain(resolvedTo);
      }
    }
  });
});
