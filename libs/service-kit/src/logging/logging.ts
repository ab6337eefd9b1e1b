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

/** Levels at which pino-http's one-line-per-request ("request completed", info) is written. */
const REQUEST_LINE_LEVELS: ReadonlySet<string> = new Set(['info', 'debug', 'trace']);

/**
 * JSON logs, one line per event, with the service name on each line.
 *
 * Above `info` no request line would be written, so the HTTP logger middleware is not mounted at all:
 * per request it serialises and redacts a child logger and runs the request in an AsyncLocalStorage
 * (which turns on promise hooks for every await) — measured at about a tenth of the SCIM ingress's CPU
 * per request (docs/benchmarks.md). Lines logged during a request then carry no `req` binding.
 */
export function loggerParams({ serviceName, config }: ServiceOptions): Params {
  return {
    ...(REQUEST_LINE_LEVELS.has(config.LOG_LEVEL) ? {} : { forRoutes: [] }),
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
