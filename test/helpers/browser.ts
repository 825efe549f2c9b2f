import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (PORTAL_TEST_CHROMIUM overrides the path). */
export function chromiumPath(): string {
  const override = process.env.PORTAL_TEST_CHROMIUM;
  if (override) return override;
  return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox'] });
}
