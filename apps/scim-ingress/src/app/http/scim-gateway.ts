import { randomUUID, timingSafeEqual } from 'node:crypto';
import { json } from 'body-parser';
import type { NextFunction, Request, Response } from 'express';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { PROVIDERS, ScimError, type ProviderId } from '@scimbridge/scim';
import { hashToken } from '../management/directory.service';
import type { DirectoriesRepository, TokenGrant } from '../persistence/directories.repository';
import { redactBody, type RequestLog } from '../persistence/request-log';
import type { TokenGrantCache } from './token-grant-cache';
import type { ScimContext, WriteOutcome } from '../scim/scim-context';
import { sendScimError } from './content-negotiation';

const SCIM_PATH = /^\/directory\/([^/]+)\/scim\/v2(\/.*)?$/i;
const BEARER = /^Bearer\s+(\S+)\s*$/i;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ScimGatewayOptions {
  readonly publicUrl: string;
  readonly maxBodyBytes: number;
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly authFailuresPerMinute: number;
}

/** Where the gateway leaves the authenticated context for the controllers. */
export interface ScimRequest extends Request {
  scim?: ScimContext;
}

/** Controllers report what a write did here, for the request log. */
export function recordOutcome(res: Response, outcome: WriteOutcome): void {
  res.locals['scimEvents'] = outcome.events;
}

/**
 * Everything that happens to a SCIM request before a controller sees it, in the order that keeps
 * unauthenticated traffic cheap: a per-address limit on failed authentications, bearer-token
 * authentication against the directory in the path, the directory's request rate limit, then the body
 * (any content type parsed as JSON, size-capped). Every request of a known directory is written to its
 * request log when the response finishes.
 *
 * Rate limiting is rate-limiter-flexible's in-memory limiter: limits hold per ingress replica (a
 * replica-wide limit would need a shared store, e.g. its Postgres limiter, at a query per request).
 */
export class ScimGateway {
  private readonly authFailures: RateLimiterMemory;
  private readonly directoryRate: BurstyRateLimiter;
  private readonly parseJson: ReturnType<typeof json>;
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
    this.parseJson = json({ type: () => true, limit: options.maxBodyBytes, strict: false });
  }

  /** Express middleware; other paths pass straight through. */
  readonly handle = (req: Request, res: Response, next: NextFunction): void => {
    const match = SCIM_PATH.exec(req.path);
    if (!match) return next();
    let directoryId: string;
    try {
      directoryId = decodeURIComponent(match[1] as string);
    } catch {
      return sendScimError(req, res, ScimError.notFound('no such directory'));
    }
    void this.gate(req as ScimRequest, res, next, directoryId, match[2] ?? '/');
  };

  private async gate(req: ScimRequest, res: Response, next: NextFunction, directoryId: string, subPath: string): Promise<void> {
    const started = process.hrtime.bigint();
    const receivedAt = new Date();
    const headerId = req.headers['x-request-id'];
    const requestId = typeof headerId === 'string' && REQUEST_ID.test(headerId) ? headerId : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    let logDirectory: string | undefined;
    let tokenId: string | null = null;
    res.on('finish', () => {
      if (logDirectory === undefined) return;
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      this.requestLog.record({
        directoryId: logDirectory,
        requestId,
        receivedAt,
        method: req.method,
        path: `${subPath}${query}`,
        status: res.statusCode,
        latencyMs: Number(process.hrtime.bigint() - started) / 1e6,
        tokenId,
        events: (res.locals['scimEvents'] as WriteOutcome['events'] | undefined) ?? [],
        requestBody: req.body === undefined ? undefined : redactBody(req.body),
        error: (res.locals['scimError'] as string | null | undefined) ?? null,
      });
    });
    try {
      const address = req.socket.remoteAddress ?? 'unknown';
      const blocked = await this.authFailures.get(address);
      if (blocked && blocked.remainingPoints <= 0) {
        return sendScimError(req, res, new ScimError(429, undefined, 'too many failed authentications; try again later'), {
          'Retry-After': String(Math.max(1, Math.ceil(blocked.msBeforeNext / 1000))),
        });
      }
      const grant = await this.authenticate(req, directoryId);
      if (!grant) {
        await this.authFailures.penalty(address, 1);
        if (await this.directories.directory(directoryId).catch(() => undefined)) logDirectory = directoryId;
        return sendScimError(req, res, new ScimError(401, undefined, 'missing, invalid, revoked or expired bearer token, or directory disabled'), {
          'WWW-Authenticate': 'Bearer realm="scimbridge", error="invalid_token"',
        });
      }
      logDirectory = directoryId;
      tokenId = grant.tokenId;
      this.touch(grant);
      try {
        await this.directoryRate.consume(directoryId);
      } catch (rejection) {
        const wait = rejection instanceof RateLimiterRes ? rejection.msBeforeNext : 1000;
        return sendScimError(req, res, new ScimError(429, undefined, 'request rate limit of this directory exceeded'), {
          'Retry-After': String(Math.max(1, Math.ceil(wait / 1000))),
        });
      }
      req.scim = {
        directoryId,
        organizationId: grant.organizationId,
        provider: (PROVIDERS as readonly string[]).includes(grant.provider) ? (grant.provider as ProviderId) : 'generic',
        tokenId: grant.tokenId,
        requestId,
        baseUrl: `${this.options.publicUrl.replace(/\/+$/, '')}/directory/${encodeURIComponent(directoryId)}/scim/v2`,
      };
      this.parseJson(req, res, (error?: unknown) => {
        if (!error) return next();
        const type = (error as { type?: string }).type;
        if (type === 'entity.too.large') {
          return sendScimError(req, res, new ScimError(413, undefined, `request body larger than ${this.options.maxBodyBytes} bytes`));
        }
        return sendScimError(req, res, ScimError.invalidSyntax('the request body is not valid JSON'));
      });
    } catch (error) {
      sendScimError(req, res, error);
    }
  }

  /** The grant of a valid token for this very directory, else undefined (every failure looks the same). */
  private async authenticate(req: Request, directoryId: string): Promise<TokenGrant | undefined> {
    const match = BEARER.exec(String(req.headers.authorization ?? ''));
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
