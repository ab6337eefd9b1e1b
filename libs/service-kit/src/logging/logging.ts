import type { Params } from 'nestjs-pino';
import type { ServiceOptions } from '../service-options';

/**
 * Paths pino must never write: credentials in headers, and any field that carries a token or password.
 * Request bodies are not logged by the HTTP logger at all.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.bearerToken',
  '*.secret',
];

/** JSON logs, one line per event, with the service name on each line. */
export function loggerParams({ serviceName, config }: ServiceOptions): Params {
  return {
    pinoHttp: {
      level: config.LOG_LEVEL,
      base: { service: serviceName },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Health probes run every few seconds; logging them would drown everything else.
      autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
      quietReqLogger: true,
    },
  };
}
