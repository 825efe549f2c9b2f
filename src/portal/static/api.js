// The portal API client. The portal token arrives in the link's fragment (never sent to a server, never in a
// Referer), moves to sessionStorage, and leaves the address bar. Every request carries it in an Authorization
// header set by this script: no cookie is involved, so another site cannot make the browser send it (CSRF-safe).
const TOKEN_KEY = 'portal-token';

/** Reads the token from `#token=…` (then clears the fragment) or from this tab's sessionStorage. */
export function takeToken() {
  const match = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export class ApiFailure extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code;
    this.details = Array.isArray(error?.details) ? error.details : [];
  }
}

/** A client bound to one token: request('GET', '/subscriptions') → parsed JSON, or throws ApiFailure. */
export function createClient(token) {
  return async function request(method, path, body) {
    const response = await fetch(`/portal/api${path}`, {
      method,
      credentials: 'omit',
      cache: 'no-store',
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new ApiFailure(response.status, data?.error);
    return data;
  };
}
