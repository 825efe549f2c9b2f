/** Decides whether a subscriber URL may be used as a delivery target (the SSRF guard, injected). */
export type UrlGuardResult = { allowed: true } | { allowed: false; reason: string };
export type UrlGuard = (url: string) => Promise<UrlGuardResult>;
