/**
 * The portal page in a real browser for tests: mints a link with an account's API key, opens it in a fresh page,
 * and records what a test checks afterwards (dialogs, console errors and CSP refusals, the page's API requests).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

/** Screenshots go to a temporary folder; `PORTAL_SCREENSHOT_DIR=docs` refreshes the pictures of docs/portal.md. */
export const SCREENSHOT_DIR = process.env.PORTAL_SCREENSHOT_DIR ?? tmpdir();

export type KeyedRequest = (method: string, path: string, key: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** `#token=whp_…` of a fresh portal session of the key's account. */
export async function mintPortalLink(request: KeyedRequest, key: string, body: object = {}): Promise<string> {
  const res = await request('POST', '/webhooks/portal-sessions', key, body);
  if (res.status !== 201) throw new Error(`portal session: ${res.status} ${JSON.stringify(res.body)}`);
  return new URL(res.body.url).hash;
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

export interface PortalPage {
  readonly page: Page;
  /** Messages of every dialog (alert, confirm, prompt) the page opened; each was dismissed. */
  readonly dialogs: string[];
  /** Console errors and uncaught exceptions (CSP refusals show here). */
  readonly problems: string[];
  /** Requests the page sent to /portal/api. */
  readonly apiRequests: SeenRequest[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openPortal(browser: Browser, baseUrl: string, link: string): Promise<PortalPage> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const dialogs: string[] = [];
  const problems: string[] = [];
  const apiRequests: SeenRequest[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${new URL(response.url()).pathname}`);
  });
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/portal/api/')) {
      apiRequests.push({ method: request.method(), url: request.url(), headers: request.headers() });
    }
  });
  await page.goto(`${baseUrl}/portal${link}`);
  return {
    page,
    dialogs,
    problems,
    apiRequests,
    screenshot: async (name) => {
      await page.screenshot({ path: join(SCREENSHOT_DIR, name), fullPage: true });
    },
    close: () => page.close(),
  };
}
