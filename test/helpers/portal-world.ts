/**
 * What a portal browser test runs against: the engine (API, listener) with a delivery worker, a receiver on
 * 127.0.0.1 and Debian's chromium. `close()` stops them in reverse order.
 */
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser';
import { startEngine, testConfig, type Engine } from './engine';
import { startReceiver, type Receiver } from './receiver';
import { bundleWorkflows, startTestWorker } from './worker';

export interface PortalWorld {
  readonly engine: Engine;
  readonly browser: Browser;
  readonly receiver: Receiver;
  close(): Promise<void>;
}

export async function startPortalWorld(label: string): Promise<PortalWorld> {
  const bundle = await bundleWorkflows();
  const receiver = await startReceiver();
  const engine = await startEngine(testConfig(label), {
    startWorker: (config, dataSource) => startTestWorker({ config, dataSource, taskQueue: config.temporal.taskQueue, bundle }),
  });
  const browser = await launchChromium();
  return {
    engine,
    browser,
    receiver,
    async close() {
      await browser.close();
      await engine.close();
      await receiver.close();
    },
  };
}
