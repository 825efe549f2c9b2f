/**
 * Temporal's environment configuration reaches the wire: the client's Connection and the worker's NativeConnection
 * built from TEMPORAL_TLS_* (or a profile of the TOML file) speak mTLS to the real dev server behind a TLS
 * terminator that demands a client certificate from our CA, and send TEMPORAL_API_KEY as the Authorization header.
 */
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { connectTemporalClient, connectWorker } from '../../src/temporal/connections';
import { nativeConnectionOptions } from '../../src/temporal/connection-options';

import { createTestPki, type TestPki } from '../helpers/test-pki';

jest.setTimeout(60_000);

const listen = (server: net.Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
const close = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('Temporal connections with TLS and an API key from the environment', () => {
  let pki: TestPki;
  let terminator: tls.Server;
  let terminatorPort: number;
  const sockets = new Set<net.Socket>();
  const clientNames: string[] = [];

  beforeAll(async () => {
    pki = createTestPki();
    const [host, port] = (process.env.TEMPORAL_ADDRESS as string).split(':');
    terminator = tls.createServer(
      {
        key: pki.read(pki.serverKeyPath),
        cert: pki.read(pki.serverCertPath),
        ca: pki.read(pki.caPath),
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      },
      (secure) => {
        clientNames.push(String(secure.getPeerCertificate().subject?.CN));
        const upstream = net.connect(Number(port), host);
        for (const socket of [secure, upstream]) {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        secure.on('error', () => upstream.destroy());
        upstream.on('error', () => secure.destroy());
        secure.pipe(upstream).pipe(secure);
      },
    );
    terminatorPort = await listen(terminator);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await close(terminator);
  });

  it('speaks mTLS from TEMPORAL_TLS_* paths: the client Connection and the worker NativeConnection reach the server', async () => {
    const config = loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: `127.0.0.1:${terminatorPort}`,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caPath,
      TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCertPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKeyPath,
      TEMPORAL_TLS_SERVER_NAME: pki.serverName,
    });
    const before = clientNames.length;

    const handle = await connectTemporalClient(config);
    try {
      const described = await handle.client.workflowService.describeNamespace({ namespace: config.temporal.namespace });
      expect(described.namespaceInfo?.name).toBe(config.temporal.namespace);
    } finally {
      await handle.close();
    }

    const native = await connectWorker(config);
    try {
      const info = await native.workflowService.getSystemInfo({});
      expect(info.serverVersion).toMatch(/\d+\.\d+/);
    } finally {
      await native.close();
    }
    expect(clientNames.slice(before)).toContain(pki.clientName);
    expect(new Set(clientNames.slice(before))).toEqual(new Set([pki.clientName]));
  });

  it('reads the same settings from a profile of the TOML config file', async () => {
    const toml = path.join(pki.dir, 'temporal.toml');
    writeFileSync(
      toml,
      [
        '[profile.cluster]',
        `address = "127.0.0.1:${terminatorPort}"`,
        `namespace = "${process.env.TEMPORAL_NAMESPACE}"`,
        '[profile.cluster.tls]',
        `server_ca_cert_path = "${pki.caPath}"`,
        `client_cert_path = "${pki.clientCertPath}"`,
        `client_key_path = "${pki.clientKeyPath}"`,
        `server_name = "${pki.serverName}"`,
      ].join('\n'),
    );
    const { TEMPORAL_ADDRESS: _address, TEMPORAL_NAMESPACE: _namespace, ...rest } = process.env;
    const config = loadConfig({ ...rest, TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cluster' });
    const handle = await connectTemporalClient(config);
    try {
      await expect(handle.client.workflowService.getSystemInfo({})).resolves.toBeDefined();
    } finally {
      await handle.close();
    }
  });

  it('is refused by the server without the client certificate (the check above can fail)', async () => {
    const config = loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: `127.0.0.1:${terminatorPort}`,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caPath,
      TEMPORAL_TLS_SERVER_NAME: pki.serverName,
    });
    await expect(NativeConnection.connect(nativeConnectionOptions(config.temporal))).rejects.toThrow();
  });

  it('sends TEMPORAL_API_KEY as a bearer token and TEMPORAL_GRPC_META_* as headers, over TLS, on both connections', async () => {
    const seen: http2.IncomingHttpHeaders[] = [];
    const recorder = http2.createSecureServer(
      { key: pki.read(pki.serverKeyPath), cert: pki.read(pki.serverCertPath) },
      (request, response) => {
        seen.push(request.headers);
        // Answer every call UNAUTHENTICATED, as a server that rejects the key would.
        response.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'recorded' });
        response.end();
      },
    );
    const sessions = new Set<http2.ServerHttp2Session>();
    recorder.on('session', (session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    const port = await listen(recorder);
    const config = loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      TEMPORAL_API_KEY: 'test-api-key-5d1e',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caPath,
      TEMPORAL_TLS_SERVER_NAME: pki.serverName,
      TEMPORAL_GRPC_META_X_TENANT: 'acme',
    });
    try {
      await expect(connectTemporalClient(config)).rejects.toThrow();
      await expect(connectWorker(config)).rejects.toThrow();
    } finally {
      for (const session of sessions) session.destroy();
      await close(recorder);
    }
    const agents = new Set(seen.map((headers) => String(headers['user-agent'] ?? headers['client-name'])));
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const headers of seen) {
      expect(headers.authorization).toBe('Bearer test-api-key-5d1e');
      expect(headers['x-tenant']).toBe('acme');
    }
    // Both kinds of connection got there: grpc-js (the client) and the SDK core (the worker's NativeConnection).
    expect([...agents].some((agent) => agent.includes('grpc-node'))).toBe(true);
    expect(
      seen.some((headers) => headers['client-name'] === 'temporal-typescript' && !String(headers['user-agent']).includes('grpc-node')),
    ).toBe(true);
  });
});
