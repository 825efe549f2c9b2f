/** The SSRF guard's public API: what the subscriptions API and the delivery activity call. */
export { judgeAddress, type AddressVerdict } from './address-policy';
export { createAllowList, EMPTY_ALLOW_LIST, type AllowList } from './allow-list';
export { parseCidrList } from './cidr-list';
export { TargetNotAllowedError, findTargetNotAllowed } from './errors';
export { assertIpLiteralAllowed, createGuardedLookup, type GuardedLookup, type GuardedLookupDeps } from './guarded-lookup';
export { judgeHostName } from './host-name-policy';
export { systemResolver, type ResolvedAddress, type Resolver } from './resolver';
export {
  checkTarget,
  ipLiteralOf,
  judgeUrl,
  MAX_URL_LENGTH,
  type TargetCheckOptions,
  type UrlPolicyOptions,
  type UrlVerdict,
} from './url-policy';
