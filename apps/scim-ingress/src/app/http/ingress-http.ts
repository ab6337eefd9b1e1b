import { randomUUID } from 'node:crypto';
import { BadRequestException, Catch, HttpException, Logger, NotFoundException, PayloadTooLargeException, type ArgumentsHost, type HttpServer, type INestApplication } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ScimError } from '@scimbridge/scim';
import type { scimIngressConfig } from '../scim-ingress.config';
import { sendScimError, UNKNOWN_ENDPOINT } from './content-negotiation';
import { ScimGateway } from './scim-gateway';

/**
 * The ingress runs on Fastify (@nestjs/platform-fastify), not Express: the HTTP stack alone cost
 * 250 µs per request on Nest+Express against 104 µs on Nest+Fastify (bench/http-stack.bench.ts), a
 * third of the ingress's CPU per user create. Router options keep what Express did and IdPs rely on:
 * paths match case-insensitively (`/users`, `/Users`) and a trailing slash is ignored.
 */
export function ingressHttpAdapter(config: scimIngressConfig): FastifyAdapter {
  return new FastifyAdapter({
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 1024 },
    bodyLimit: config.SCIM_MAX_BODY_BYTES,
    logger: false,
    // While the server closes, requests on open keep-alive connections are still answered properly
    // (Fastify's default is a bare 503 without hooks: no SCIM body, no request log entry).
    return503OnClosing: false,
    frameworkErrors: answerFrameworkError,
  });
}

/**
 * Errors Fastify answers before any hook runs (a path that is not valid percent-encoding, …): under a
 * SCIM base URL as a SCIM Error with a request id, elsewhere in Nest's JSON shape.
 */
function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  const message = error.code === 'FST_ERR_BAD_URL' ? 'the request path is not valid percent-encoding' : error.message;
  if (/^\/directory\/[^/?]+\/scim\/v2(?:[/?]|$)/i.test(decodeValidEscapes(request.url))) {
    reply.header('X-Request-Id', randomUUID());
    sendScimError(request, reply, new ScimError(status, undefined, message));
    return;
  }
  void reply.code(status).send({ statusCode: status, error: 'Bad Request', message });
}

/**
 * `%73cim` → `scim`, leaving `%ZZ` and escapes of non-ASCII bytes as they are: the path of a request
 * Fastify refused for bad percent-encoding cannot be decoded as a whole, yet it may spell the SCIM base
 * URL with escapes (which the router accepts), and must then get a SCIM error too.
 */
function decodeValidEscapes(url: string): string {
  return url.replace(/%([0-7][0-9A-Fa-f])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * Every failure leaves in the shape its caller understands: under a SCIM base URL a SCIM Error (whatever
 * threw it: a controller, the body parser, Fastify itself, the router's not-found), elsewhere (the
 * management API, health) Nest's usual JSON error.
 */
@Catch()
export class IngressExceptionFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('Scim');

  constructor(
    adapter: HttpServer,
    private readonly maxBodyBytes: number,
  ) {
    super(adapter);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (req.scimState) {
      if (!reply.sent) this.sendScim(exception, req, reply);
      return;
    }
    const tooLarge = exception instanceof HttpException && exception.getStatus() === 413;
    super.catch(tooLarge ? new PayloadTooLargeException('request body too large') : exception, host);
  }

  private sendScim(exception: unknown, req: FastifyRequest, reply: FastifyReply): void {
    let error = exception;
    if (exception instanceof NotFoundException) {
      // The router's not-found (Nest words it "Cannot GET <raw url>").
      error = ScimError.notFound(UNKNOWN_ENDPOINT);
    } else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      error = new ScimError(status, undefined, status === 413 ? `request body larger than ${this.maxBodyBytes} bytes` : exception.message);
    } else if (!(exception instanceof ScimError)) {
      // The request id (also in the response's X-Request-Id and the directory's request log) ties this
      // line to the request when no per-request logger is mounted (LOG_LEVEL above info).
      this.logger.error(`SCIM request ${req.scimState?.requestId ?? 'unknown'} failed: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
    }
    sendScimError(req, reply, error, error instanceof ScimError && error.status === 503 ? { 'Retry-After': '1' } : {});
  }
}

/**
 * Request hooks, body parsing and errors of the ingress (runs before the app listens):
 * - ScimGateway's hooks: authentication and rate limits before the body is read, the request log after
 *   the response;
 * - bodies of any media type parsed as JSON (IdPs send `application/scim+json`, `application/json`, and
 *   some nothing useful), with Fastify's parser (prototype-poisoning checks); size capped by `bodyLimit`;
 * - IngressExceptionFilter for everything that fails.
 */
export function configureIngressHttp(app: INestApplication, config: scimIngressConfig): void {
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  const gateway = app.get(ScimGateway);
  fastify.decorateRequest('scimState', null);
  fastify.addHook('onRequest', gateway.onRequest);
  fastify.addHook('onResponse', gateway.onResponse);
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    parseJson(request, typeof body === 'string' ? body : body.toString('utf8'), (error, value) => {
      if (!error) return done(null, value);
      const reason = error.message.includes('prototype') ? 'it contains a forbidden prototype property' : 'it is not valid JSON';
      done(request.scimState ? ScimError.invalidSyntax(`the request body is rejected: ${reason}`) : new BadRequestException(`request body is rejected: ${reason}`));
    });
  });
  app.useGlobalFilters(new IngressExceptionFilter(app.getHttpAdapter(), config.SCIM_MAX_BODY_BYTES));
}
