/** Polls `probe` until it is true; fails naming `what` after `timeoutMs` (a guard against a hang, not a measurement). */
export async function waitUntil(probe: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
