import ipaddr from 'ipaddr.js';
import { createAllowList, judgeAddress } from '../../src/http/ssrf';
import { SSRF_CORPUS } from './fixtures/ssrf-corpus';

const none = createAllowList([]);

describe('judgeAddress', () => {
  it.each([
    ['10.0.0.5', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['240.0.0.1', 'reserved'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['::ffff:10.0.0.5', 'ipv4-mapped of 10.0.0.5 (private)'],
    ['64:ff9b::a00:5', 'nat64 of 10.0.0.5 (private)'],
    ['2002:a00:5::1', '6to4 (deprecated by RFC 7526, refused whatever IPv4 it carries)'],
    ['2002:808:808::1', '6to4 (deprecated by RFC 7526, refused whatever IPv4 it carries)'],
  ])('refuses %s with the reason "%s"', (ip, reason) => {
    expect(judgeAddress(ip, none)).toEqual({ allowed: false, reason });
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2001:4860:4860::8888'])('accepts the public address %s', (ip) => {
    expect(judgeAddress(ip, none)).toEqual({ allowed: true });
  });

  it.each(['localhost', '127.1', '0x7f000001', '2130706433', '', '1.2.3.4.5', '[::1]', '::1/128'])(
    'refuses %j, which is not an IP address in canonical text form',
    (text) => {
      expect(judgeAddress(text, none)).toEqual({ allowed: false, reason: 'not an IP address' });
    },
  );

  describe('with an allow-list', () => {
    const allow = createAllowList(['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8']);

    it.each(['127.0.0.1', '10.0.0.5', '10.255.0.1', 'fd00::1', 'fdff::5'])('exempts %s, which the list covers', (ip) => {
      expect(judgeAddress(ip, allow)).toEqual({ allowed: true });
    });

    it.each([
      ['127.0.0.2', 'loopback'],
      ['169.254.169.254', 'link-local'],
      ['192.168.1.1', 'private'],
      ['::1', 'loopback'],
      ['fc00::1', 'unique-local'],
    ])('still refuses %s, which the list does not cover', (ip, reason) => {
      expect(judgeAddress(ip, allow)).toEqual({ allowed: false, reason });
    });

    it.each(['::ffff:127.0.0.1', '::ffff:a00:5', '64:ff9b::7f00:1'])('exempts %s because the IPv4 it carries is covered', (ip) => {
      expect(judgeAddress(ip, allow)).toEqual({ allowed: true });
    });

    it('does not exempt 6to4 because of the IPv4 it carries, only when the list covers the 6to4 address itself', () => {
      expect(judgeAddress('2002:a00:5::1', allow)).toMatchObject({ allowed: false, reason: expect.stringContaining('6to4') });
      const with6to4 = createAllowList(['2002:a00:5::/48']);
      expect(judgeAddress('2002:a00:5::1', with6to4)).toEqual({ allowed: true });
      expect(judgeAddress('2002:a00:6::1', with6to4)).toMatchObject({ allowed: false });
    });

    it('does not exempt an embedding whose carried IPv4 is outside the list', () => {
      expect(judgeAddress('::ffff:127.0.0.2', allow)).toEqual({ allowed: false, reason: 'ipv4-mapped of 127.0.0.2 (loopback)' });
    });
  });

  it('refuses 6to4 whatever IPv4 it carries, public or not', () => {
    for (const v4 of ['8.8.8.8', '93.184.216.34', '10.0.0.5', '127.0.0.1']) {
      const hex = ipaddr.IPv4.parse(v4)
        .toByteArray()
        .map((b) => b.toString(16).padStart(2, '0'))
        .join('');
      expect(judgeAddress(`2002:${hex.slice(0, 4)}:${hex.slice(4)}::1`, none)).toMatchObject({ allowed: false });
    }
  });

  it('judges embedded IPv4 the same way as the bare IPv4 it carries', () => {
    const carried = ['10.0.0.5', '127.0.0.1', '169.254.169.254', '192.0.2.1', '8.8.8.8', '93.184.216.34', '100.64.0.1'];
    for (const v4 of carried) {
      const hex = ipaddr.IPv4.parse(v4)
        .toByteArray()
        .map((b) => b.toString(16).padStart(2, '0'))
        .join('');
      const [high, low] = [hex.slice(0, 4), hex.slice(4)];
      const bare = judgeAddress(v4, none);
      for (const [label, form] of [
        ['ipv4-mapped', `::ffff:${high}:${low}`],
        ['nat64', `64:ff9b::${high}:${low}`],
      ]) {
        const expected = bare.allowed ? bare : { allowed: false, reason: `${label} of ${v4} (${bare.reason})` };
        expect({ form, verdict: judgeAddress(form, none) }).toEqual({ form, verdict: expected });
      }
    }
  });

  it('reads the local-use NAT64 prefix 64:ff9b:1::/48 both ways (after /96 and per RFC 6052 after /48) and needs both to pass', () => {
    expect(judgeAddress('64:ff9b:1::a00:5', none)).toEqual({ allowed: false, reason: 'nat64 of 10.0.0.5 (private)' });
    expect(judgeAddress('64:ff9b:1:a00:0:500::', none)).toEqual({ allowed: false, reason: 'nat64 of 10.0.0.5 (private)' });
    expect(judgeAddress('64:ff9b:1::808:808', none)).toEqual({ allowed: false, reason: 'nat64 of 0.0.0.0 (unspecified)' });
    expect(judgeAddress('64:ff9b:1:808:8:808:808:808', none)).toEqual({ allowed: true });
  });

  it('refuses everything ipaddr.js 2.5 classifies as special, except the embeddings it judges by their IPv4', () => {
    const judgedByEmbeddedV4 = new Set(['ipv4Mapped', 'rfc6052']);
    const samples = SSRF_CORPUS.filter((entry) => entry.kind === 'ip').map((entry) => entry.input);
    const disagreements = samples.filter((ip) => {
      const range = ipaddr.parse(ip).range();
      return range !== 'unicast' && !judgedByEmbeddedV4.has(range) && judgeAddress(ip, none).allowed;
    });
    expect(samples.length).toBeGreaterThan(100);
    expect(disagreements).toEqual([]);
  });
});
