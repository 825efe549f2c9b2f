/**
 * Judges a DNS host name (not an IP literal) by its text alone: syntax, lengths, and names that always mean this
 * machine, a private network or nothing at all. Input is the hostname exactly as the WHATWG URL parser gives it
 * (lower-cased, IDNA-encoded).
 */
export type NameVerdict = { allowed: true } | { allowed: false; reason: string };

const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/**
 * Suffixes that never name a public host: RFC 6761/6762/7686/8375 special-use names, the `.internal` TLD reserved
 * for private use, and common private-network conventions (RFC 6762 appendix G).
 */
const LOCAL_SUFFIXES: readonly string[] = [
  'localhost',
  'localdomain',
  'local',
  'internal',
  'home.arpa',
  'arpa',
  'lan',
  'home',
  'corp',
  'intranet',
  'private',
  'test',
  'invalid',
  'example',
  'onion',
];

export function judgeHostName(hostname: string): NameVerdict {
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length === 0) return { allowed: false, reason: 'empty host name' };
  if (name.length > MAX_NAME_LENGTH) return { allowed: false, reason: `host name longer than ${MAX_NAME_LENGTH} characters` };
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length > MAX_LABEL_LENGTH) {
      return { allowed: false, reason: `host name label longer than ${MAX_LABEL_LENGTH} characters` };
    }
    if (!LABEL.test(label)) return { allowed: false, reason: `invalid host name "${hostname}"` };
  }
  const suffix = LOCAL_SUFFIXES.find((candidate) => name === candidate || name.endsWith(`.${candidate}`));
  if (suffix) return { allowed: false, reason: `host name "${name}" is reserved for local use (${suffix})` };
  if (labels.length === 1) return { allowed: false, reason: `single-label host name "${name}" is not public` };
  return { allowed: true };
}
