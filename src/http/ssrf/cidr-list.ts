import ipaddr from 'ipaddr.js';

/**
 * Parses a comma-separated list of CIDRs (as in SSRF_ALLOW_CIDRS). A bare address counts as a /32 or /128.
 * Throws an Error naming the first entry that is not a valid CIDR. Returns normalised strings.
 */
export function parseCidrList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      try {
        if (entry.includes('/')) {
          const [address, bits] = ipaddr.parseCIDR(entry);
          return `${address.toString()}/${bits}`;
        }
        const address = ipaddr.parse(entry);
        return `${address.toString()}/${address.kind() === 'ipv4' ? 32 : 128}`;
      } catch {
        throw new Error(`"${entry}" is not a valid CIDR (expected e.g. 127.0.0.1/32 or ::1/128)`);
      }
    });
}
