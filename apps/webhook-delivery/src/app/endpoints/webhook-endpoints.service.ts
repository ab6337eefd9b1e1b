import { randomUUID } from 'node:crypto';
import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { DeliveryView, WebhookView, WebhookWithSecret } from '@scimbridge/contracts';
import { inTransaction, PG_POOL, SERVICE_CONFIG } from '@scimbridge/service-kit';
import type { Pool } from 'pg';
import { resolveWebhookTarget, UnsafeUrlError } from '../network/address-policy';
import type { WebhookDeliveryConfig } from '../webhook-delivery.config';
import { decodeCursor, encodeCursor } from '../events/cursor';
import type { CreateWebhookDto, DeliveryLogQueryDto, UpdateWebhookDto } from './webhook-endpoints.dto';
import { newSigningSecret, SecretBox } from './secret-box';

export const SECRET_BOX = Symbol.for('scimbridge:webhook-delivery:secret-box');
export const DISPATCH_WAKER = Symbol.for('scimbridge:webhook-delivery:dispatch-waker');
export type DispatchWaker = () => void;

export type { DeliveryAttemptView, DeliveryView, WebhookView, WebhookWithSecret } from '@scimbridge/contracts';

interface EndpointRow {
  id: string;
  organization_id: string;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  secret_rotated_at: Date;
  created_at: Date;
  updated_at: Date;
}

const ENDPOINT_COLUMNS = 'id, organization_id, url, description, event_types, enabled, secret_rotated_at, created_at, updated_at';

function view(row: EndpointRow): WebhookView {
  return {
    id: row.id,
    organizationId: row.organization_id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    enabled: row.enabled,
    secretRotatedAt: row.secret_rotated_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const MAX_ENDPOINTS_PER_ORGANIZATION = 50;

@Injectable()
export class WebhookEndpointsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: WebhookDeliveryConfig,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(DISPATCH_WAKER) private readonly wakeDispatcher: DispatchWaker,
  ) {}

  /** 400 with the reason when the URL is not one we will call (scheme, syntax, or a non-public address). */
  private async checkUrl(url: string): Promise<void> {
    try {
      await resolveWebhookTarget(url, { allowPrivateNetworks: this.config.WEBHOOK_ALLOW_PRIVATE_NETWORKS });
    } catch (error) {
      if (error instanceof UnsafeUrlError) throw new BadRequestException(`url refused: ${error.message}`);
      throw error;
    }
  }

  async create(organizationId: string, body: CreateWebhookDto): Promise<WebhookWithSecret> {
    await this.checkUrl(body.url);
    const id = randomUUID();
    const secret = newSigningSecret();
    // Count and insert under the organization's lock, in one transaction: two creates racing at 49 must
    // not both see room (the count runs after the lock, so its snapshot includes the other's row).
    const rows = await inTransaction(this.pool, async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('webhook_endpoints/' || $1, 0))`, [organizationId]);
      const count = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_endpoints WHERE organization_id = $1`, [organizationId]);
      if ((count.rows[0]?.n ?? 0) >= MAX_ENDPOINTS_PER_ORGANIZATION) {
        throw new BadRequestException(`an organization has at most ${MAX_ENDPOINTS_PER_ORGANIZATION} webhooks`);
      }
      const inserted = await client.query<EndpointRow>(
        `INSERT INTO webhook_endpoints (id, organization_id, url, description, event_types, enabled, secret_sealed, secret_rotated_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now(), now()) RETURNING ${ENDPOINT_COLUMNS}`,
        [id, organizationId, body.url, body.description ?? null, body.eventTypes ?? [], body.enabled ?? true, this.secrets.seal(secret, id)],
      );
      return inserted.rows;
    });
    return { ...view(rows[0] as EndpointRow), secret };
  }

  async list(organizationId: string): Promise<{ webhooks: WebhookView[] }> {
    const { rows } = await this.pool.query<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 ORDER BY created_at, id`, [organizationId]);
    return { webhooks: rows.map(view) };
  }

  async get(organizationId: string, webhookId: string): Promise<WebhookView> {
    const { rows } = await this.pool.query<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 AND id = $2`, [organizationId, webhookId]);
    if (!rows[0]) throw new NotFoundException('webhook not found');
    return view(rows[0]);
  }

  async update(organizationId: string, webhookId: string, body: UpdateWebhookDto): Promise<WebhookView> {
    if (body.url !== undefined) await this.checkUrl(body.url);
    const { rows } = await this.pool.query<EndpointRow>(
      `UPDATE webhook_endpoints
          SET url = COALESCE($3, url),
              description = CASE WHEN $4::boolean THEN $5 ELSE description END,
              event_types = COALESCE($6, event_types),
              enabled = COALESCE($7, enabled),
              updated_at = now()
        WHERE organization_id = $1 AND id = $2
        RETURNING ${ENDPOINT_COLUMNS}`,
      [organizationId, webhookId, body.url ?? null, body.description !== undefined, body.description ?? null, body.eventTypes ?? null, body.enabled ?? null],
    );
    if (!rows[0]) throw new NotFoundException('webhook not found');
    // Re-enabled: its waiting deliveries are due again.
    if (body.enabled === true) this.wakeDispatcher();
    return view(rows[0]);
  }

  /** Deletes the endpoint with its deliveries and their log. */
  async remove(organizationId: string, webhookId: string): Promise<void> {
    const result = await this.pool.query(`DELETE FROM webhook_endpoints WHERE organization_id = $1 AND id = $2`, [organizationId, webhookId]);
    if (result.rowCount === 0) throw new NotFoundException('webhook not found');
  }

  /** A new secret, effective for the next attempt; the old one stops working at once. */
  async rotateSecret(organizationId: string, webhookId: string): Promise<WebhookWithSecret> {
    const secret = newSigningSecret();
    const { rows } = await this.pool.query<EndpointRow>(
      `UPDATE webhook_endpoints SET secret_sealed = $3, secret_rotated_at = now(), updated_at = now()
        WHERE organization_id = $1 AND id = $2 RETURNING ${ENDPOINT_COLUMNS}`,
      [organizationId, webhookId, this.secrets.seal(secret, webhookId)],
    );
    if (!rows[0]) throw new NotFoundException('webhook not found');
    return { ...view(rows[0]), secret };
  }

  /** Newest first; `cursor` continues where the previous page ended. */
  async deliveries(organizationId: string, webhookId: string, query: DeliveryLogQueryDto): Promise<{ deliveries: DeliveryView[]; nextCursor: string | null }> {
    await this.get(organizationId, webhookId);
    const before = decodeCursor('dl', query.cursor, 'cursor');
    const limit = query.limit ?? 50;
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries d
        WHERE d.endpoint_id = $1 AND ($2::text IS NULL OR d.status = $2) AND ($3::bigint IS NULL OR d.seq < $3)
        ORDER BY d.seq DESC LIMIT $4`,
      [webhookId, query.status ?? null, before ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { deliveries: page.map(deliveryView), nextCursor: rows.length > limit && last ? encodeCursor('dl', last.seq) : null };
  }

  /**
   * Sends a delivery again, with a fresh retry schedule: a dead or succeeded one goes back to pending at
   * its place in its line (so it goes before any later delivery of that directory still waiting); a
   * pending one is simply due now.
   */
  async redeliver(organizationId: string, webhookId: string, deliveryId: string): Promise<DeliveryView> {
    await this.get(organizationId, webhookId);
    const { rows } = await this.pool.query<{ id: string }>(
      `UPDATE deliveries
          SET status = 'pending', next_attempt_at = now(),
              retry_base = CASE WHEN status = 'pending' THEN retry_base ELSE attempts END,
              first_attempt_at = CASE WHEN status = 'pending' THEN first_attempt_at ELSE NULL END,
              completed_at = NULL
        WHERE endpoint_id = $1 AND id = $2 RETURNING id`,
      [webhookId, deliveryId],
    );
    if (!rows[0]) throw new NotFoundException('delivery not found');
    this.wakeDispatcher();
    const fresh = await this.pool.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.id = $1`, [deliveryId]);
    return deliveryView(fresh.rows[0] as DeliveryRow);
  }
}

interface DeliveryRow {
  id: string;
  seq: string;
  event_id: string;
  event_type: string;
  directory_id: string;
  status: 'pending' | 'succeeded' | 'dead';
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  completed_at: Date | null;
  attempt_log: { attempt: number; started_at: string; duration_ms: number; status_code: number | null; error: string | null; response_snippet: string | null }[];
}

const DELIVERY_COLUMNS = `d.id, d.seq::text, d.event_id, d.event_type, d.directory_id, d.status, d.attempts, d.next_attempt_at,
  d.last_status_code, d.last_error, d.created_at, d.completed_at,
  COALESCE((SELECT json_agg(json_build_object('attempt', a.attempt, 'started_at', a.started_at, 'duration_ms', a.duration_ms,
                                              'status_code', a.status_code, 'error', a.error, 'response_snippet', a.response_snippet) ORDER BY a.attempt)
              FROM delivery_attempts a WHERE a.delivery_id = d.id), '[]') AS attempt_log`;

function deliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    directoryId: row.directory_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at ? row.completed_at.toISOString() : null,
    attemptLog: row.attempt_log.map((a) => ({
      attempt: a.attempt,
      startedAt: new Date(a.started_at).toISOString(),
      durationMs: a.duration_ms,
      statusCode: a.status_code,
      error: a.error,
      responseSnippet: a.response_snippet,
    })),
  };
}
