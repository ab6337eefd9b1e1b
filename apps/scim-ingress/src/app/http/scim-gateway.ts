import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { PROVIDERS, ScimError, type ProviderId } from '@scimbridge/scim';
import { hashToken } from '../management/directory.service';
import type { DirectoriesRepository, TokenGrant } from '../persistence/directories.repository';
import { redactBody, type RequestLog } from '../persistence/request-log';
import type { TokenGrantCache } from './token-grant-cache';
import type { ScimContext, WriteOutcome } from '../scim/scim-context';
import { sendScimError } from './content-negotiation';

/** A SCIM base URL and below, on the decoded path. */
const SCIM_PATH = /^\/directory\/([^/]+)\/scim\/v2(\/.*)?$/i;
/** The ScimController's routes as registered (Nest's path with its parameter). */
const SCIM_ROUTE = /^\/directory\/:directoryId\/scim\/v2(\/|$)/i;
const BEARER = /^Bearer\s+(\S+)\s*$/i;
const ABSOLUTE_FORM_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ScimGatewayOptions {
  readonly publicUrl: string;
  readonly maxBodyBytes: number;
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly authFailuresPerMinute: number;
}

/** What the gateway knows about a request under a SCIM base URL, from its first hook to the request log. */
export interface ScimRequestState {
  readonly requestId: string;
  readonly started: bigint;
  readonly receivedAt: Date;
  /** The path below the SCIM base URL (`/Users/…`). */
  readonly subPath: string;
  /** Set once the directory is known to exist: only then is the request logged (to that directory). */
  logDirectory?: string;
  tokenId: string | null;
  /** Set once authenticated and within the rate limit: what the controllers work with. */
  context?: ScimContext;
  events: WriteOutcome['events'];
  error: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by ScimGateway on every request under a SCIM base URL; null elsewhere. */
    scimState: ScimRequestState | null;
  }
}

/** Controllers report what a write did here, for the request log. */
export function recordOutcome(req: FastifyRequest, outcome: WriteOutcome): void {
  if (req.scimState) req.scimState.events = outcome.events;
}

/**
 * Everything that happens to a SCIM request before a controller sees it, in the order that keeps
 * unauthenticated traffic cheap: a per-address limit on failed authentications, bearer-token
 * authentication against the directory in the path, then the directory's request rate limit. It runs as
 * Fastify `onRequest` hook, i.e. before the body is read (the body is parsed afterwards by the ingress's
 * content-type parser, size-capped). Every request of a known directory is written to its request log
 * when the response has been sent (`onResponse` hook).
 *
 * Rate limiting is rate-limiter-flexible's in-memory limiter: limits hold per ingress replica (a
 * replica-wide limit would need a shared store, e.g. its Postgres limiter, at a query per request).
 */
export class ScimGateway {
  private readonly authFailures: RateLimiterMemory;
  private readonly directoryRate: BurstyRateLimiter;
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly directories: DirectoriesRepository,
    private readonly requestLog: RequestLog,
    private readonly grants: TokenGrantCache,
    private readonly options: ScimGatewayOptions,
  ) {
    this.authFailures = new RateLimiterMemory({ keyPrefix: 'auth-fail', points: options.authFailuresPerMinute, duration: 60 });
    this.directoryRate = new BurstyRateLimiter(
      new RateLimiterMemory({ keyPrefix: 'dir', points: options.ratePerSecond, duration: 1 }),
      new RateLimiterMemory({ keyPrefix: 'dir-burst', points: options.burst, duration: Math.max(1, Math.ceil(options.burst / options.ratePerSecond)) }),
    );
  }

  /**
   * Fastify `onRequest` hook; other paths pass straight through. What is a SCIM request is decided by
   * the route the router matched (it decodes percent-escapes, so `/directory/x/%73cim/v2/Users` is a
   * SCIM route too), and for paths no route matched, by the decoded path: every request that can reach
   * the ScimController passes here.
   */
  readonly onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const url = request.url;
    const queryAt = url.indexOf('?');
    // An absolute-form target (`GET http://host/directory/…`, as a proxy may send it) is routed on its
    // path; the log's sub-path is cut from that path too.
    const rawPath = (queryAt < 0 ? url : url.slice(0, queryAt)).replace(ABSOLUTE_FORM_ORIGIN, '');
    const routed = request.routeOptions.url;
    const scimRoute = routed !== undefined && SCIM_ROUTE.test(routed);
    const match = SCIM_PATH.exec(safeDecode(rawPath));
    if (!scimRoute && !match) return undefined;
    const headerId = request.headers['x-request-id'];
    const state: ScimRequestState = {
      requestId: typeof headerId === 'string' && REQUEST_ID.test(headerId) ? headerId : randomUUID(),
      started: process.hrtime.bigint(),
      receivedAt: new Date(),
      subPath: `/${rawPath.split('/').slice(5).join('/')}`,
      tokenId: null,
      events: [],
      error: null,
    };
    request.scimState = state;
    reply.header('X-Request-Id', state.requestId);
    const directoryId = scimRoute ? (request.params as Record<string, string | undefined>)['directoryId'] : match?.[1];
    if (!directoryId) return sendScimError(request, reply, ScimError.notFound('no such directory'));
    normaliseContentType(request);
    try {
      const address = request.socket.remoteAddress ?? 'unknown';
      const blocked = await this.authFailures.get(address);
      if (blocked && blocked.remainingPoints <= 0) {
        return sendScimError(request, reply, new ScimError(429, undefined, 'too many failed authentications; try again later'), {
          'Retry-After': String(Math.max(1, Math.ceil(blocked.msBeforeNext / 1000))),
        });
      }
      const grant = await this.authenticate(request, directoryId);
      if (!grant) {
        await this.authFailures.penalty(address, 1);
        if (await this.directories.directory(directoryId).catch(() => undefined)) state.logDirectory = directoryId;
        return sendScimError(request, reply, new ScimError(401, undefined, 'missing, invalid, revoked or expired bearer token, or directory disabled'), {
          'WWW-Authenticate': 'Bearer realm="scimbridge", error="invalid_token"',
        });
      }
      state.logDirectory = directoryId;
      state.tokenId = grant.tokenId;
      this.touch(grant);
      try {
        await this.directoryRate.consume(directoryId);
      } catch (rejection) {
        const wait = rejection instanceof RateLimiterRes ? rejection.msBeforeNext : 1000;
        return sendScimError(request, reply, new ScimError(429, undefined, 'request rate limit of this directory exceeded'), {
          'Retry-After': String(Math.max(1, Math.ceil(wait / 1000))),
        });
      }
      state.context = {
        directoryId,
        organizationId: grant.organizationId,
        provider: (PROVIDERS as readonly string[]).includes(grant.provider) ? (grant.provider as ProviderId) : 'generic',
        tokenId: grant.tokenId,
        requestId: state.requestId,
        baseUrl: `${this.options.publicUrl.replace(/\/+$/, '')}/directory/${encodeURIComponent(directoryId)}/scim/v2`,
      };
    } catch (error) {
      return sendScimError(request, reply, error);
    }
    return undefined;
  };

  /** Fastify `onResponse` hook: the request log entry of a request to a known directory. */
  readonly onResponse = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const state = request.scimState;
    if (state?.logDirectory !== undefined) {
      const url = request.url;
      const queryAt = url.indexOf('?');
      this.requestLog.record({
        directoryId: state.logDirectory,
        requestId: state.requestId,
        receivedAt: state.receivedAt,
        method: request.method,
        path: `${state.subPath}${queryAt < 0 ? '' : url.slice(queryAt)}`,
        status: reply.statusCode,
        latencyMs: Number(process.hrtime.bigint() - state.started) / 1e6,
        tokenId: state.tokenId,
        events: state.events,
        requestBody: request.body === undefined || request.body === null ? undefined : redactBody(request.body),
        error: state.error,
      });
    }
    done();
  };

  /** The grant of a valid token for this very directory, else undefined (every failure looks the same). */
  private async authenticate(request: FastifyRequest, directoryId: string): Promise<TokenGrant | undefined> {
    const match = BEARER.exec(String(request.headers.authorization ?? ''));
    if (!match) return undefined;
    const presented = hashToken(match[1] as string);
    // Looked up by hash (an index probe reveals nothing about the secret), then compared in constant time.
    let grant = this.grants.get(presented);
    if (!grant) {
      grant = await this.directories.grantFor(presented);
      if (grant && grant.revokedAt === null && grant.directoryEnabled) this.grants.set(presented, grant);
    }
    if (!grant || !timingSafeEqual(grant.tokenHash, presented)) return undefined;
    if (grant.directoryId !== directoryId) return undefined;
    if (grant.revokedAt !== null || !grant.directoryEnabled) return undefined;
    if (grant.expiresAt !== null && grant.expiresAt.getTime() <= Date.now()) return undefined;
    return grant;
  }

  /** last_used_at, at most once a minute per token, off the request path. */
  private touch(grant: TokenGrant): void {
    const now = Date.now();
    const last = this.touched.get(grant.tokenId) ?? grant.lastUsedAt?.getTime() ?? 0;
    if (now - last < 60_000) return;
    this.touched.set(grant.tokenId, now);
    void this.directories.touchTokens([grant.tokenId], new Date(now)).catch(() => undefined);
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * A body without a usable media type is read as JSON, as Express's body parser did (Fastify answers an
 * empty `Content-Type:` with 415): some IdPs send none.
 */
function normaliseContentType(request: FastifyRequest): void {
  const type = request.headers['content-type'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');
  if (hasBody && (type === undefined || type.trim() === '')) request.headers['content-type'] = 'application/json';
}
