import { checkTarget, createAllowList, type Resolver } from '../http/ssrf';

/**
 * Decides whether a subscriber URL may be used as a delivery target (the SSRF guard, injected into the app). A
 * refusal's reason is shown to the client: it names the category of the address, never an address a host name
 * resolved to.
 */
export type UrlGuardResult = { allowed: true } | { allowed: false; reason: string };
export type UrlGuard = (url: string) => Promise<UrlGuardResult>;

export interface SsrfUrlGuardOptions {
  requireHttps: boolean;
  /** CIDRs exempt from the private-address block (config.ssrfAllowCidrs). */
  allowCidrs: readonly string[];
  resolver: Resolver;
}

/** The real guard: URL policy, then every DNS answer judged (see src/http/ssrf). */
export function createSsrfUrlGuard(options: SsrfUrlGuardOptions): UrlGuard {
  const allowList = createAllowList(options.allowCidrs);
  return async (url) => {
    const verdict = await checkTarget(url, { requireHttps: options.requireHttps, allowList, resolver: options.resolver });
    return verdict.allowed ? { allowed: true } : { allowed: false, reason: verdict.clientReason ?? verdict.reason };
  };
}
