import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry secrets anywhere in a logged object. pino replaces them before serialising,
 * so a careless `log.info({ subscription })` still cannot leak a signing secret or an API key.
 */
export const REDACTED_PATHS = [
  'secret',
  'secrets',
  '*.secret',
  '*.secrets',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  // Request headers: a subscription's custom headers (values are secrets to the receiver) and any request's own.
  'headers',
  '*.headers',
  'req.headers.authorization',
  'encryptionKey',
  '*.encryptionKey',
  'password',
  '*.password',
];

/**
 * pino is used because it is fast, structured (JSON lines) and has path-based redaction built in. `mixin`: fields
 * added to every line when it is written (the active span's trace and span ids while tracing is on).
 */
export function createLogger(name: string, level = 'info', destination?: pino.DestinationStream, mixin?: () => object): Logger {
  return pino(
    {
      name,
      ...(mixin ? { mixin } : {}),
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
