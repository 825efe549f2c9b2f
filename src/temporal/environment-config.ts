/**
 * Temporal connection settings from Temporal's own environment configuration (`@temporalio/envconfig`): the
 * `TEMPORAL_*` variables and the TOML profile file that the Temporal CLI and the other SDKs read too, so one
 * `temporal.toml` (or one set of variables) points the CLI and the engine at the same dev server, self-hosted
 * cluster or Temporal Cloud namespace.
 *
 * Called by src/config.ts with the environment it was given (never process.env itself). Precedence is the
 * library's: a variable wins over the profile's value; the engine's defaults apply only when both are absent.
 */
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';

/** Where the server's certificate is checked against, and the client's own certificate for mTLS. */
export type TemporalTls = Readonly<{
  /** SNI and the name checked in the server's certificate, when it differs from the address's host. */
  serverName?: string;
  /** PEM of the CA that signed the server's certificate; the system's roots when absent (Temporal Cloud). */
  serverRootCaCertificate?: Buffer;
  /** PEM certificate and key of this client (mTLS). */
  clientCertPair?: Readonly<{ crt: Buffer; key: Buffer }>;
}>;

export type TemporalConnectionSettings = Readonly<{
  address: string;
  namespace: string;
  /** Sent as `Authorization: Bearer <key>`; turns TLS on unless TEMPORAL_TLS=false says otherwise. */
  apiKey?: string;
  /** Present: TLS (an empty object is TLS with the system's roots). Absent: plaintext. */
  tls?: TemporalTls;
  /** Extra gRPC headers (`TEMPORAL_GRPC_META_<NAME>`, or `grpc_meta` in the profile). */
  grpcMetadata?: Readonly<Record<string, string>>;
  /** The profile read from the config file, when one was asked for. */
  profile?: string;
}>;

/** The variables @temporalio/envconfig reads (beside TEMPORAL_GRPC_META_* and the home directory for the file). */
export const TEMPORAL_ENVCONFIG_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
] as const;

const GRPC_META_PREFIX = 'TEMPORAL_GRPC_META_';
/** Where the library looks for the default file (`$XDG_CONFIG_HOME/temporalio/temporal.toml`, else under `$HOME`). */
const FILE_LOCATION_VARIABLES = ['HOME', 'XDG_CONFIG_HOME', 'APPDATA'];

export class TemporalEnvironmentError extends Error {}

/**
 * Reads the settings from `env`: the profile (TEMPORAL_PROFILE, else `default`) of the config file
 * (TEMPORAL_CONFIG_FILE, else the default location; a missing file is no error), overridden by the variables.
 * Certificate files are read here, so a wrong path stops start-up. Errors name variables and keys, never values.
 */
export function loadTemporalConnectionSettings(
  env: Readonly<Record<string, string | undefined>>,
  defaults: Readonly<{ address: string; namespace: string }>,
): TemporalConnectionSettings {
  const relevant: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const known = (TEMPORAL_ENVCONFIG_VARIABLES as readonly string[]).includes(key) || FILE_LOCATION_VARIABLES.includes(key);
    // An empty variable is unset (as for every other variable of the engine); an empty TEMPORAL_GRPC_META_X
    // removes header X from the profile, as the library defines.
    if ((known && value !== '') || key.startsWith(GRPC_META_PREFIX)) relevant[key] = value;
  }
  if (relevant.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION && /^(1|true)$/.test(relevant.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION)) {
    throw new TemporalEnvironmentError(
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: not supported by the TypeScript SDK; set TEMPORAL_TLS_SERVER_NAME to the name in the server certificate instead',
    );
  }

  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: relevant });
  } catch (error) {
    const where = relevant.TEMPORAL_CONFIG_FILE ? 'TEMPORAL_CONFIG_FILE' : 'the Temporal config file';
    throw new TemporalEnvironmentError(`TEMPORAL_PROFILE / ${where}: ${(error as Error).message}`);
  }

  let options: ReturnType<typeof toClientOptions>['connectionOptions'];
  try {
    options = toClientOptions(profile).connectionOptions;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TemporalEnvironmentError(
      `TEMPORAL_TLS_*_PATH (or the profile's tls *_path): cannot read a certificate or key file${code ? ` (${code})` : ''}`,
    );
  }

  const tls = options.tls;
  const clientPair = typeof tls === 'object' && tls ? tls.clientCertPair : undefined;
  if (profile.tls && Boolean(profile.tls.clientCert) !== Boolean(profile.tls.clientKey)) {
    throw new TemporalEnvironmentError('TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_*: give both or neither');
  }
  const settings: {
    address: string;
    namespace: string;
    apiKey?: string;
    tls?: TemporalTls;
    grpcMetadata?: Record<string, string>;
    profile?: string;
  } = {
    address: profile.address || defaults.address,
    namespace: profile.namespace || defaults.namespace,
  };
  if (options.apiKey) settings.apiKey = options.apiKey;
  if (tls === true) settings.tls = Object.freeze({});
  else if (typeof tls === 'object' && tls) {
    settings.tls = Object.freeze({
      ...(tls.serverNameOverride ? { serverName: tls.serverNameOverride } : {}),
      // As Buffers (the library reads files into plain Uint8Arrays; grpc-js and the native bridge take Buffers).
      ...(tls.serverRootCACertificate ? { serverRootCaCertificate: Buffer.from(tls.serverRootCACertificate) } : {}),
      ...(clientPair ? { clientCertPair: Object.freeze({ crt: Buffer.from(clientPair.crt), key: Buffer.from(clientPair.key) }) } : {}),
    });
  }
  const metadata = options.metadata as Record<string, string> | undefined;
  if (metadata && Object.keys(metadata).length > 0) settings.grpcMetadata = Object.freeze({ ...metadata });
  if (relevant.TEMPORAL_PROFILE) settings.profile = relevant.TEMPORAL_PROFILE;
  return Object.freeze(settings);
}

/** A loggable view: whether each credential is set, never its value. */
export function describeTemporalConnection(settings: TemporalConnectionSettings): Record<string, unknown> {
  return {
    address: settings.address,
    namespace: settings.namespace,
    profile: settings.profile ?? null,
    apiKey: settings.apiKey ? 'set' : 'none',
    tls: settings.tls
      ? {
          serverName: settings.tls.serverName ?? null,
          serverRootCaCertificate: settings.tls.serverRootCaCertificate ? 'set' : 'system roots',
          clientCertificate: settings.tls.clientCertPair ? 'set' : 'none',
        }
      : 'off',
    grpcMetadata: Object.keys(settings.grpcMetadata ?? {}),
  };
}
