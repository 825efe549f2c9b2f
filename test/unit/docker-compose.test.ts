import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';
import { readTemporalDevConfig } from '../../tools/dev/temporal-dev-config';
import { clusterPostgresOf, DEPLOY_FILES } from '../../tools/cluster/temporal-cluster';

const root = path.resolve(__dirname, '..', '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      environment?: Record<string, string>;
      command?: string[] | string;
      entrypoint?: string[];
      image?: string;
      build?: string;
      volumes?: string[];
    }
  >;
};
const packageScripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('docker-compose.yml', () => {
  it('runs Postgres, Redis, a Temporal server with its Web UI, and the three engine processes', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'temporal', 'temporal-ui', 'api', 'listener', 'worker', 'migrate']),
    );
    expect(compose.services.temporal.environment?.TEMPORAL_CLUSTER_DB_HOST).toBe('postgres');
  });

  it.each(['api', 'listener', 'worker'])('starts %s with the same built entry point as its npm start script', (name) => {
    const script = packageScripts[`start:${name}`];
    expect(script).toBe(`node ${(compose.services[name].command as string[]).slice(1).join(' ')}`);
  });

  it.each(['api', 'listener', 'worker', 'migrate'])('configures %s only with variables the config module reads, all valid', (name) => {
    const env = compose.services[name].environment ?? {};
    expect(Object.keys(env).length).toBeGreaterThan(5);
    for (const variable of Object.keys(env)) expect(CONFIG_VARIABLES).toContain(variable);
    const resolved = { ...env, WEBHOOKS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') };
    expect(() => loadConfig(resolved)).not.toThrow();
  });

  const service = (name: string) =>
    compose.services[name] as {
      image: string;
      environment?: Record<string, string>;
      volumes?: string[];
      entrypoint?: string[];
      command?: string[] | string;
    };
  /** The host file or directory mounted at `target` in the service (`./source:target[:ro]`). */
  const mountedAt = (name: string, target: string) => {
    const volume = (service(name).volumes ?? []).find((v) => v.split(':')[1] === target);
    if (!volume) throw new Error(`${name} mounts nothing at ${target}`);
    return path.resolve(root, volume.split(':')[0]);
  };
  const scriptVersion = (name: string) =>
    new RegExp(`^${name}="(v[\\d.]+)"`, 'm').exec(readFileSync(path.join(root, 'scripts', 'ensure-temporal-cluster.sh'), 'utf8'))?.[1];
  const commandOf = (name: string) => [service(name).entrypoint ?? [], service(name).command ?? []].flat().join(' ');

  it('runs the Temporal server, its schema step and its UI at the versions npm run cluster builds, not auto-setup', () => {
    expect(JSON.stringify(compose)).not.toContain('auto-setup');
    expect(service('temporal').image).toBe(`temporalio/server:${scriptVersion('SERVER_VERSION')?.slice(1)}`);
    expect(service('temporal-schema').image).toMatch(new RegExp(`^temporalio/admin-tools:${scriptVersion('SERVER_VERSION')?.slice(1)}-`));
    expect(service('temporal-ui').image).toBe(`temporalio/ui:${scriptVersion('UI_VERSION')?.slice(1)}`);
    expect((compose.services.api as { depends_on?: Record<string, unknown> }).depends_on).toHaveProperty('temporal-namespace');
  });

  it('mounts the same server config, schema step, dynamic config and UI config as npm run cluster uses', () => {
    const serverRoot = path.join(root, DEPLOY_FILES.root);
    const temporal = commandOf('temporal');
    const configDir = /--root (\S+) --config (\S+) --env (\S+)/.exec(temporal);
    expect(configDir).not.toBeNull();
    const [, mountRoot, configName, env] = configDir!;
    expect(env).toBe(DEPLOY_FILES.configEnv);
    expect(mountedAt('temporal', `${mountRoot}/${configName}`)).toBe(path.join(serverRoot, DEPLOY_FILES.serverConfigDir));
    for (const name of ['frontend', 'history', 'matching', 'worker']) expect(temporal).toContain(`--service ${name}`);

    const dynamic = service('temporal').environment?.TEMPORAL_CLUSTER_DYNAMIC_CONFIG as string;
    expect(mountedAt('temporal', dynamic)).toBe(path.join(root, DEPLOY_FILES.dynamicConfig));

    const schema = commandOf('temporal-schema');
    expect(mountedAt('temporal-schema', schema.split(' ').pop() as string)).toBe(path.join(root, DEPLOY_FILES.schemaScript));
    expect(service('temporal-schema').environment).toMatchObject({
      TEMPORAL_CLUSTER_DB_NAME: clusterPostgresOf(loadConfig({}).databaseUrl).database,
      TEMPORAL_CLUSTER_VISIBILITY_DB_NAME: clusterPostgresOf(loadConfig({}).databaseUrl).visibilityDatabase,
    });
    expect(service('temporal').environment?.TEMPORAL_CLUSTER_DB_NAME).toBe(
      service('temporal-schema').environment?.TEMPORAL_CLUSTER_DB_NAME,
    );

    expect(mountedAt('temporal-ui', '/home/ui-server/config/docker.yaml')).toBe(
      path.join(serverRoot, DEPLOY_FILES.uiConfigDir, `${DEPLOY_FILES.configEnv}.yaml`),
    );
    expect(service('temporal-ui').environment?.TEMPORAL_CLUSTER_UI_FRONTEND).toBe('temporal:7233');
  });

  it('gives its Temporal server the dynamic config declared in temporal-dev.yaml', () => {
    const file = parse(readFileSync(path.join(root, DEPLOY_FILES.dynamicConfig), 'utf8')) as Record<string, Array<{ value: unknown }>>;
    const served = Object.fromEntries(Object.entries(file).map(([key, entries]) => [key, entries[0].value]));
    expect(served).toEqual(readTemporalDevConfig().dynamicConfig);
  });

  it('keeps closed workflows as long as temporal-dev.yaml does (and WEBHOOKS_RETENTION_DAYS keeps their rows)', () => {
    const retentions = [...commandOf('temporal-namespace').matchAll(/--retention (\d+h)/g)].map((m) => m[1]);
    expect(retentions.length).toBeGreaterThan(0);
    for (const retention of retentions) {
      expect(retention).toBe(`${readTemporalDevConfig().namespaceRetentionDays * 24}h`);
      expect(retention).toBe(`${loadConfig({}).retention.days * 24}h`);
    }
  });

  it('registers exactly the search attributes declared in temporal-dev.yaml', () => {
    const listed = /for name in ([\w\s]+?);/.exec(commandOf('temporal-namespace'))?.[1].trim().split(/\s+/) ?? [];
    expect(listed.sort()).toEqual(Object.keys(readTemporalDevConfig().searchAttributes).sort());
  });
});
