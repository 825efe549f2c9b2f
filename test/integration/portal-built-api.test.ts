import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnBuiltProcess, type EngineProcess } from '../helpers/engine-processes';

const ROOT = path.resolve(__dirname, '..', '..');
const STATIC_DIR = path.join(ROOT, 'src', 'portal', 'static');
const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

describe('the built API (npm run build, then start:api) serves the portal', () => {
  let api: EngineProcess | undefined;
  let baseUrl: string;

  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, timeout: 240_000 });
    // start:api is `node dist/src/main-api.js`: run exactly that file with plain node (no ts-node).
    const entry = /^node (dist\/\S+\.js)$/.exec(packageJson.scripts['start:api'])?.[1];
    expect(entry).toBe('dist/src/main-api.js');
    api = spawnBuiltProcess(entry as `dist/${string}.js`, { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info' });
    const listening = await api.logLine((l) => l.msg === 'API listening');
    baseUrl = `http://127.0.0.1:${listening.port as number}`;
  }, 300_000);

  afterAll(async () => {
    await api?.stop();
  });

  it('answers /portal with the page and every static file with the same bytes as the sources, under the portal CSP', async () => {
    const page = await fetch(`${baseUrl}/portal`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toBe(readFileSync(path.join(STATIC_DIR, 'index.html'), 'utf8'));

    const files = readdirSync(STATIC_DIR);
    expect(files).toEqual(expect.arrayContaining(['index.html', 'portal.js', 'portal.css']));
    for (const file of files) {
      const res = await fetch(`${baseUrl}/portal/assets/${file}`);
      expect({ file, status: res.status }).toEqual({ file, status: 200 });
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(path.join(STATIC_DIR, file)))).toBe(true);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await fetch(`${baseUrl}/portal/assets/nope.js`)).status).toBe(404);
  });
});
