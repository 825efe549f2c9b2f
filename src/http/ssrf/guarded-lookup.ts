/**
 * The delivery-time guard: a DNS lookup hook for the HTTP client (got's `dnsLookup`, Node's `lookup`). It resolves
 * ONCE, refuses with TargetNotAllowedError if any answer is forbidden, and hands the socket exactly the addresses it
 * checked, so a DNS answer that changes between check and connect (rebinding) cannot switch the target.
 *
 * Node never calls `lookup` for IP-literal hosts: check those with `assertIpLiteralAllowed` before connecting.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import net from 'node:net';
import { judgeAddress } from './address-policy';
import type { AllowList } from './allow-list';
import { TargetNotAllowedError } from './errors';
import type { ResolvedAddress, Resolver } from './resolver';
import { ipLiteralOf } from './url-policy';

export type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The shape of Node's `dns.lookup` as http.request / net.connect call it. */
export type GuardedLookup = (hostname: string, options: LookupOptions | number | LookupCallback, callback?: LookupCallback) => void;

export interface GuardedLookupDeps {
  resolver: Resolver;
  allowList: AllowList;
}

export function createGuardedLookup({ resolver, allowList }: GuardedLookupDeps): GuardedLookup {
  return (hostname, options, callback) => {
    const done = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts: LookupOptions = typeof options === 'object' && options !== null ? options : {};
    const family = typeof options === 'number' ? options : familyOf(opts.family);
    resolveOnce(resolver, hostname)
      .then((answers) => {
        const refusal = firstRefusal(answers, allowList);
        if (refusal) throw refusal;
        const usable = answers.filter((answer) => family === 0 || answer.family === family);
        if (usable.length === 0) throw notFound(hostname);
        if (opts.all) {
          done(
            null,
            usable.map(({ address, family: f }) => ({ address, family: f })),
          );
        } else {
          done(null, usable[0].address, usable[0].family);
        }
      })
      .catch((error: NodeJS.ErrnoException) => done(error, opts.all ? [] : '', undefined));
  };
}

/**
 * Throws TargetNotAllowedError when the URL's host is an IP literal that the policy forbids. Host names pass here
 * (the guarded lookup judges what they resolve to).
 */
export function assertIpLiteralAllowed(url: URL, allowList: AllowList): void {
  const literal = ipLiteralOf(url);
  if (literal === undefined) return;
  const verdict = judgeAddress(literal, allowList);
  if (!verdict.allowed) throw new TargetNotAllowedError(`address ${literal} (${verdict.reason})`);
}

async function resolveOnce(resolver: Resolver, hostname: string): Promise<ResolvedAddress[]> {
  const ipVersion = net.isIP(hostname);
  if (ipVersion !== 0) return [{ address: hostname, family: ipVersion === 6 ? 6 : 4 }];
  const answers = await resolver(hostname);
  if (answers.length === 0) throw notFound(hostname);
  return answers;
}

function firstRefusal(answers: readonly ResolvedAddress[], allowList: AllowList): TargetNotAllowedError | undefined {
  for (const { address } of answers) {
    const verdict = judgeAddress(address, allowList);
    if (!verdict.allowed)
      return new TargetNotAllowedError(
        `resolves to ${address} (${verdict.reason})`,
        `resolves to a non-public address (${verdict.reason})`,
      );
  }
  return undefined;
}

function familyOf(family: LookupOptions['family']): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}
