/**
 * The SSRF exemption list (config.ssrfAllowCidrs, from SSRF_ALLOW_CIDRS): addresses inside these ranges are
 * reachable even when they are private, loopback or otherwise non-public. Empty by default: nothing is exempt.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';

export interface AllowList {
  /** True when `ip` (an IP address string) lies inside one of the listed ranges. False for anything else. */
  contains(ip: string): boolean;
  /** Number of ranges; 0 means nothing is exempt. */
  readonly size: number;
}

export type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Builds an allow-list from CIDRs (`127.0.0.1/32`, `fd00::/8`) or bare addresses (a /32 or /128).
 * IPv4-mapped IPv6 forms (`::ffff:127.0.0.1`) are treated as the IPv4 they carry, on both sides.
 * Throws an Error naming the first entry that is neither.
 */
export function createAllowList(cidrs: readonly string[]): AllowList {
  const ranges = cidrs.map(parseRange);
  return {
    size: ranges.length,
    contains(ip: string): boolean {
      if (ranges.length === 0 || net.isIP(ip) === 0) return false;
      const address = unmap(ipaddr.parse(ip));
      return ranges.some((range) => inRange(address, range));
    },
  };
}

/** An allow-list that exempts nothing. */
export const EMPTY_ALLOW_LIST: AllowList = createAllowList([]);

function parseRange(entry: string): Range {
  const text = entry.trim();
  try {
    if (text.includes('/')) {
      const [address, bits] = ipaddr.parseCIDR(text);
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
        return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
      }
      return [address, bits];
    }
    if (net.isIP(text) === 0) throw new Error('not an address');
    const address = unmap(ipaddr.parse(text));
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new Error(`"${entry}" is not a valid CIDR (expected e.g. 127.0.0.1/32 or ::1/128)`);
  }
}

function unmap(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address();
  }
  return address;
}

/** True when `address` lies inside `range` (same family only). */
export function inRange(address: ipaddr.IPv4 | ipaddr.IPv6, [base, bits]: Range): boolean {
  if (address instanceof ipaddr.IPv4 && base instanceof ipaddr.IPv4) return address.match(base, bits);
  if (address instanceof ipaddr.IPv6 && base instanceof ipaddr.IPv6) return address.match(base, bits);
  return false;
}
