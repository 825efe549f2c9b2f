/**
 * The address judge: only globally routable unicast passes. Pure; every range is listed here explicitly (IANA
 * IPv4 and IPv6 special-purpose registries) instead of trusting ipaddr.js range() names, whose set changes between
 * versions. Addresses that carry an IPv4 address (IPv4-mapped, NAT64) are judged by the IPv4 they carry. 6to4
 * (2002::/16) is refused whatever IPv4 it embeds: RFC 7526 deprecates the anycast relays, the path runs through
 * whichever relay is nearest (not the embedded host), so the embedded IPv4 says nothing reliable about where the
 * packets go. Only an SSRF_ALLOW_CIDRS entry covering the 6to4 address itself lets it through.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { inRange, type AllowList, type Range } from './allow-list';

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

type Rule = readonly [range: Range, reason: string];

const rules = (table: ReadonlyArray<readonly [string, string]>): Rule[] =>
  table.map(([cidr, reason]) => [ipaddr.parseCIDR(cidr), reason] as const);

/** First match wins, so narrower ranges come before the ranges that contain them. */
const IPV4_RULES = rules([
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'this-network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade-nat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);

const IPV6_RULES = rules([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/8', 'reserved'],
  ['100::/64', 'discard-only'],
  ['2001::/32', 'teredo'],
  ['2001::/23', 'reserved'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4 (deprecated by RFC 7526, refused whatever IPv4 it carries)'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'segment-routing'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
]);

const GLOBAL_UNICAST_V6: Range = ipaddr.parseCIDR('2000::/3');

/** IPv6 ranges that carry an IPv4 address, and where to find it. */
const EMBEDDING_RULES: ReadonlyArray<readonly [Range, string, (a: ipaddr.IPv6) => ipaddr.IPv4[]]> = [
  [ipaddr.parseCIDR('::ffff:0:0/96'), 'ipv4-mapped', (a) => [v4(a.toByteArray().slice(12, 16))]],
  [ipaddr.parseCIDR('64:ff9b::/96'), 'nat64', (a) => [v4(a.toByteArray().slice(12, 16))]],
  // RFC 8215 local-use prefix: the IPv4 may sit after a /96 or, per RFC 6052, after the /48 (skipping bits 64-71).
  // Both readings must pass; the more plausible one comes first so that it names the reason.
  [
    ipaddr.parseCIDR('64:ff9b:1::/48'),
    'nat64',
    (a) => {
      const bytes = a.toByteArray();
      const after96 = v4(bytes.slice(12, 16));
      const after48 = v4([...bytes.slice(6, 8), ...bytes.slice(9, 11)]);
      return bytes.slice(12, 16).some((byte) => byte !== 0) ? [after96, after48] : [after48, after96];
    },
  ],
];

function v4(bytes: number[]): ipaddr.IPv4 {
  return new ipaddr.IPv4(bytes);
}

/**
 * Judges one IP address (dotted IPv4 or IPv6 text, as DNS answers and WHATWG URLs give them). Anything inside the
 * allow-list passes; otherwise only globally routable unicast does. Text that is not an IP address is refused.
 */
export function judgeAddress(ip: string, allow: AllowList): AddressVerdict {
  if (net.isIP(ip) === 0) return { allowed: false, reason: 'not an IP address' };
  if (allow.contains(ip)) return { allowed: true };
  const address = ipaddr.parse(ip);
  return address instanceof ipaddr.IPv4 ? judgeV4(address) : judgeV6(address as ipaddr.IPv6, allow);
}

function judgeV4(address: ipaddr.IPv4): AddressVerdict {
  const rule = IPV4_RULES.find(([range]) => inRange(address, range));
  return rule ? { allowed: false, reason: rule[1] } : { allowed: true };
}

function judgeV6(address: ipaddr.IPv6, allow: AllowList): AddressVerdict {
  const embedding = EMBEDDING_RULES.find(([range]) => inRange(address, range));
  if (embedding) {
    const [, label, extract] = embedding;
    for (const carried of extract(address)) {
      const verdict = judgeAddress(carried.toString(), allow);
      if (!verdict.allowed) return { allowed: false, reason: `${label} of ${carried.toString()} (${verdict.reason})` };
    }
    return { allowed: true };
  }
  const rule = IPV6_RULES.find(([range]) => inRange(address, range));
  if (rule) return { allowed: false, reason: rule[1] };
  if (!inRange(address, GLOBAL_UNICAST_V6)) return { allowed: false, reason: 'reserved' };
  return { allowed: true };
}
