import { loadConfig } from '../../src/config';
import { createAllowList, EMPTY_ALLOW_LIST } from '../../src/http/ssrf';

describe('createAllowList', () => {
  it('contains nothing when empty, which is the default', () => {
    expect(EMPTY_ALLOW_LIST.contains('127.0.0.1')).toBe(false);
    expect(createAllowList(loadConfig({}).ssrfAllowCidrs).contains('10.0.0.1')).toBe(false);
  });

  it('matches IPv4 and IPv6 ranges by prefix', () => {
    const list = createAllowList(['10.1.0.0/16', 'fd00:1::/32']);
    expect(list.contains('10.1.200.3')).toBe(true);
    expect(list.contains('10.2.0.1')).toBe(false);
    expect(list.contains('fd00:1:ffff::1')).toBe(true);
    expect(list.contains('fd00:2::1')).toBe(false);
  });

  it('treats a bare address as a single host', () => {
    const list = createAllowList(['127.0.0.1', '::1']);
    expect(list.contains('127.0.0.1')).toBe(true);
    expect(list.contains('127.0.0.2')).toBe(false);
    expect(list.contains('::1')).toBe(true);
    expect(list.contains('::2')).toBe(false);
  });

  it('never lets an IPv4 range match an IPv6 address of another family', () => {
    const list = createAllowList(['0.0.0.0/0']);
    expect(list.contains('8.8.8.8')).toBe(true);
    expect(list.contains('2606:4700:4700::1111')).toBe(false);
  });

  it('treats IPv4-mapped IPv6 as the IPv4 it carries, in the list and in the address', () => {
    expect(createAllowList(['127.0.0.1/32']).contains('::ffff:127.0.0.1')).toBe(true);
    expect(createAllowList(['::ffff:127.0.0.1/128']).contains('127.0.0.1')).toBe(true);
    expect(createAllowList(['::ffff:10.0.0.0/104']).contains('10.9.9.9')).toBe(true);
  });

  it('answers false for text that is not an IP address', () => {
    const list = createAllowList(['0.0.0.0/0', '::/0']);
    expect(list.contains('localhost')).toBe(false);
    expect(list.contains('127.1')).toBe(false);
    expect(list.contains('')).toBe(false);
  });

  it('is fed from SSRF_ALLOW_CIDRS through the config', () => {
    const config = loadConfig({ SSRF_ALLOW_CIDRS: '127.0.0.1/32, fd00::/8' });
    const list = createAllowList(config.ssrfAllowCidrs);
    expect(list.contains('127.0.0.1')).toBe(true);
    expect(list.contains('fd12::1')).toBe(true);
    expect(list.contains('127.0.0.2')).toBe(false);
  });

  it.each(['not-a-cidr', '10.0.0.0/33', '300.1.1.1', '127.1', 'fd00::/129'])('rejects the entry %j with a message naming it', (entry) => {
    expect(() => createAllowList(['10.0.0.0/8', entry])).toThrow(`"${entry}" is not a valid CIDR`);
  });
});
