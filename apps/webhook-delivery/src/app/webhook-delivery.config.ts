import { Expose, Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { IngressClientConfig, Secret } from '@scimbridge/service-kit';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? (/^(true|1|yes)$/i.test(value.trim()) ? true : /^(false|0|no)$/i.test(value.trim()) ? false : value) : value;

/**
 * MANAGEMENT_API_KEY and SCIM_INGRESS_URL come from IngressClientConfig: organizations live in the
 * ingress, and an organization without a directory yet (no event has named it) is confirmed there once
 * when its first webhook is registered.
 */
export class WebhookDeliveryConfig extends IngressClientConfig {
  override PORT = 3003;

  /**
   * Key that encrypts endpoint signing secrets at rest (AES-256-GCM; the AES key is HKDF-SHA256 of this
   * value). Required in production. Elsewhere, when unset, a key derived from MANAGEMENT_API_KEY is used
   * (so `npm start` works with nothing to configure and secrets survive restarts); rotating the
   * management key then makes stored secrets unreadable — set this explicitly anywhere that matters.
   */
  @Expose()
  @Secret()
  @ValidateIf((config: WebhookDeliveryConfig) => config.NODE_ENV === 'production' || config.WEBHOOK_SECRET_KEY !== undefined)
  @IsString()
  @MinLength(32, { message: 'WEBHOOK_SECRET_KEY must be at least 32 characters (e.g. 32 random bytes, base64)' })
  WEBHOOK_SECRET_KEY?: string;

  /** Local development only: lets webhooks target loopback/private addresses (SSRF protection off). */
  @Expose()
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_NETWORKS = false;

  /**
   * Waits before each retry, comma-separated (`500ms`, `5s`, `2m`, `1h`); each is the upper bound of a
   * full-jitter draw. After the last one has failed too, the delivery is dead. Default: ~28 h of caps.
   */
  @Expose()
  @IsString()
  @Matches(/^\s*\d+(ms|s|m|h)\s*(,\s*\d+(ms|s|m|h)\s*)*$/, { message: 'WEBHOOK_RETRY_SCHEDULE must be a comma-separated list like 5s,30s,2m,1h' })
  WEBHOOK_RETRY_SCHEDULE = '5s,30s,2m,10m,30m,1h,2h,4h,8h,12h';

  /**
   * The last retry happens no earlier than this long after the first attempt, whatever the jitter drew:
   * full jitter alone could squeeze the whole schedule into a few hours. 0 turns it off (tests).
   */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  WEBHOOK_RETRY_MIN_SPAN_MS = 24 * 60 * 60 * 1000;

  /** One attempt's time limit (connect + response headers + the response snippet). */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /**
   * A lease lasts WEBHOOK_TIMEOUT_MS plus this margin: how long after an instance died (mid-attempt) its
   * deliveries wait before another instance sends them again. Longer than any stall of a live instance.
   */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  WEBHOOK_LEASE_MARGIN_MS = 30_000;

  /** Deliveries in flight at once per instance (each to a different endpoint/directory line). */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  WEBHOOK_CONCURRENCY = 16;

  /** How often idle dispatchers look for due deliveries (new events wake them at once). */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  WEBHOOK_POLL_MS = 250;

  /** Events kept for the events API (and delivery rows with them); at least the promised 30 days. */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(30)
  @Max(3650)
  EVENTS_RETENTION_DAYS = 35;

  /** How often the retention purge runs. */
  @Expose()
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  EVENTS_PURGE_INTERVAL_MS = 60 * 60 * 1000;

  @Expose()
  @IsOptional()
  @IsString()
  WEBHOOK_USER_AGENT = 'scimbridge-webhooks/1';

  /**
   * The fan-out's Kafka consumer group; empty: `webhook-delivery.webhook-fanout`, shared by every
   * replica (they split the partitions). Progress is kept per event in PostgreSQL, so another group only
   * re-reads what is already applied. Tests that boot a throw-away instance beside others set their own.
   */
  @Expose()
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{0,200}$/, { message: 'WEBHOOK_CONSUMER_GROUP_ID may hold letters, digits, . _ - only' })
  WEBHOOK_CONSUMER_GROUP_ID = '';
}
