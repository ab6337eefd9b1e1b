import { Expose, Transform } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ManagementApiConfig } from '@scimbridge/service-kit';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** MANAGEMENT_API_KEY comes from ManagementApiConfig (every service of the management API shares it). */
export class scimIngressConfig extends ManagementApiConfig {
  override PORT = 3000;

  /**
   * The externally visible base URL of this service (what an IdP can reach); endpoint URLs shown to
   * admins are `{PUBLIC_URL}/directory/{directoryId}/scim/v2`.
   */
  @Expose()
  @IsString()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'PUBLIC_URL must be an http(s) URL' })
  PUBLIC_URL = 'http://127.0.0.1:3000';

  /**
   * Where the SCIM configuration portal is served (portal-web): portal links point there. Session
   * cookies are marked Secure when it is https.
   */
  @Expose()
  @IsString()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'PORTAL_URL must be an http(s) URL' })
  PORTAL_URL = 'http://127.0.0.1:4200';

  /** Largest accepted SCIM/management request body; larger ones get 413. */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  SCIM_MAX_BODY_BYTES = 2 * 1024 * 1024;

  /** Sustained SCIM requests per second per directory (token bucket); above it 429 + Retry-After. */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  SCIM_RATE_LIMIT_PER_SECOND = 200;

  /** Burst on top of the sustained rate (bucket size). */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  SCIM_RATE_LIMIT_BURST = 400;

  /** Failed SCIM authentications per client address per minute before it gets 429. */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  SCIM_AUTH_FAILURES_PER_MINUTE = 30;

  /**
   * How long a valid token's grant is reused without a lookup. Revoke/disable through this replica
   * takes effect at once; other replicas follow within this time. 0 = look up every request.
   */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  SCIM_AUTH_CACHE_MS = 2_000;

  /**
   * A directory deletion starts deprovisioning this long after it was requested, so SCIM requests
   * authenticated just before (other replicas cache grants for SCIM_AUTH_CACHE_MS) finish first.
   * Keep it above SCIM_AUTH_CACHE_MS plus a slow request.
   */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  DIRECTORY_DELETION_GRACE_MS = 5_000;

  /** Resources per transaction of a directory deletion or resync. */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  DIRECTORY_JOB_CHUNK_SIZE = 500;

  /**
   * How often each replica looks for unfinished directory deletions and resyncs: one a stopped replica
   * left is taken over within this time (a running one is claimed by its replica's advisory lock).
   */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  DIRECTORY_JOB_SWEEP_MS = 30_000;

  /** Largest page of a SCIM list (`count` is capped here; ServiceProviderConfig filter.maxResults says so). */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  SCIM_MAX_PAGE_SIZE = 1000;

  /** Request log retention: entries older than this many days are pruned. */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  REQUEST_LOG_RETENTION_DAYS = 14;

  /** Request log retention: at most this many entries are kept per directory. */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  REQUEST_LOG_MAX_PER_DIRECTORY = 20_000;
}
