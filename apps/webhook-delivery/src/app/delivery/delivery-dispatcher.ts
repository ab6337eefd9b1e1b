import { randomUUID } from 'node:crypto';
import type { BackgroundWorker } from '@scimbridge/messaging';
import type { Pool } from 'pg';
import { Webhook } from 'standardwebhooks';
import { resolveWebhookTarget, UnsafeUrlError } from '../network/address-policy';
import type { SecretBox } from '../endpoints/secret-box';
import { nextRetry, type RetryPolicy } from './retry-schedule';
import { postWebhook, type AttemptOutcome } from './webhook-sender';

/*
 * Sends pending deliveries. Any number of instances (and slots per instance) share the work through
 * PostgreSQL alone:
 *  - a *line* is (endpoint, directory); only its head — the pending delivery with the smallest seq — may
 *    be sent, so a directory's events reach an endpoint in order, each after the previous one succeeded
 *    or went dead;
 *  - a slot *leases* a due head (`FOR UPDATE SKIP LOCKED`, then lease_token/lease_until in the row),
 *    sends it outside any transaction, and records the outcome only if it still holds the lease. A
 *    crashed instance's lease runs out (timeout + margin) and another instance sends it again — with the
 *    same webhook-id, so the receiver can tell;
 *  - after a head is done, the same slot leases the line's next delivery in the same transaction as the
 *    outcome, so a busy line keeps moving without a round of polling.
 */

export interface DispatcherOptions {
  readonly pool: Pool;
  readonly secrets: SecretBox;
  readonly retry: RetryPolicy;
  readonly concurrency: number;
  readonly pollMs: number;
  readonly timeoutMs: number;
  /** Added to timeoutMs for the lease (see WEBHOOK_LEASE_MARGIN_MS). */
  readonly leaseMarginMs: number;
  readonly allowPrivateNetworks: boolean;
  readonly userAgent: string;
  readonly logger: { info(m: string): void; warn(m: string): void; error(m: string): void };
  /** Test seam for the jitter draw. */
  readonly random?: () => number;
}

interface LeasedDelivery {
  readonly id: string;
  readonly lease_token: string;
  readonly endpoint_id: string;
  readonly directory_id: string;
  readonly event_id: string;
  readonly attempts: number;
  readonly retry_base: number;
  readonly first_attempt_at: Date;
  readonly url: string;
  readonly secret_sealed: string;
  readonly body: string;
}

const LEASED_COLUMNS = `d.id, d.lease_token, d.endpoint_id, d.directory_id, d.event_id, d.attempts, d.retry_base, d.first_attempt_at, e.url, e.secret_sealed, ev.body`;

export class DeliveryDispatcher implements BackgroundWorker {
  readonly workerName = 'webhook dispatcher';
  private stopping = true;
  private slots: Promise<void>[] = [];
  private sleepers: (() => void)[] = [];
  /** Whether an idle slot is already polling on a timer (the others wait to be woken). */
  private polling = false;
  private readonly leaseMs: number;
  private sent = 0;

  constructor(private readonly options: DispatcherOptions) {
    // Longer than any attempt can take, so a live slot never loses its lease mid-send.
    this.leaseMs = options.timeoutMs + options.leaseMarginMs;
  }

  get stats(): { sent: number; slots: number } {
    return { sent: this.sent, slots: this.slots.length };
  }

  async migrate(): Promise<void> {
    // Tables come from the TypeORM migrations (ReadModelsModule), which run before workers start.
  }

  start(): void {
    if (!this.stopping) return;
    this.stopping = false;
    this.slots = Array.from({ length: this.options.concurrency }, (_, i) => this.runSlot(i));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await Promise.all(this.slots);
    this.slots = [];
  }

  /** New deliveries were committed: idle slots look now instead of at their next poll. */
  wake(): void {
    const sleepers = this.sleepers;
    this.sleepers = [];
    for (const wake of sleepers) wake();
  }

  /** Wakes one idle slot: there may be more due work than the slot that found some can take. */
  private wakeOne(): void {
    this.sleepers.shift()?.();
  }

  /** Until woken, or after `ms` if given. */
  private sleep(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done(): void {
        if (timer) clearTimeout(timer);
        resolve();
      }
      this.sleepers.push(done);
    });
  }

  /**
   * Idle slots: one polls every pollMs, the others wait to be woken — by new deliveries committed on
   * this instance, or by a slot that found work (which wakes one more, so a burst of due retries fans out
   * over the idle slots one by one). 16 idle slots thus cost one query per poll, not sixteen.
   */
  private async idle(): Promise<void> {
    if (this.polling) return this.sleep();
    this.polling = true;
    try {
      await this.sleep(this.options.pollMs);
    } finally {
      this.polling = false;
    }
  }

  private async runSlot(slot: number): Promise<void> {
    while (!this.stopping) {
      try {
        let delivery = await this.leaseDueHead();
        if (!delivery) {
          await this.idle();
          continue;
        }
        this.wakeOne();
        while (delivery && !this.stopping) {
          const outcome = await this.attempt(delivery);
          delivery = await this.record(delivery, outcome);
        }
      } catch (error) {
        this.options.logger.error(`dispatcher slot ${slot}: ${error instanceof Error ? error.message : String(error)}`);
        await this.sleep(1_000);
      }
    }
  }

  /**
   * Any due line head not leased by a live slot, oldest due first. The heads are enumerated with a skip
   * scan over the partial index of pending deliveries (one index probe per line, a recursive CTE), not by
   * testing every pending row: with a receiver down and a large backlog behind each head, the work per
   * poll stays proportional to the number of lines, not of waiting deliveries. Of the 32 earliest due
   * heads, the first one no other slot holds is locked (SKIP LOCKED) and leased.
   */
  private async leaseDueHead(): Promise<LeasedDelivery | undefined> {
    const { rows } = await this.options.pool.query<LeasedDelivery>({
      name: 'webhook_lease_due_head',
      text: `
        WITH RECURSIVE heads AS (
          (SELECT d.endpoint_id, d.directory_id, d.id, d.next_attempt_at, d.lease_until
             FROM deliveries d WHERE d.status = 'pending'
            ORDER BY d.endpoint_id, d.directory_id, d.seq LIMIT 1)
          UNION ALL
          SELECT n.endpoint_id, n.directory_id, n.id, n.next_attempt_at, n.lease_until
            FROM heads h
            CROSS JOIN LATERAL (
              SELECT d.endpoint_id, d.directory_id, d.id, d.next_attempt_at, d.lease_until
                FROM deliveries d
               WHERE d.status = 'pending' AND (d.endpoint_id, d.directory_id) > (h.endpoint_id, h.directory_id)
               ORDER BY d.endpoint_id, d.directory_id, d.seq LIMIT 1) n
        ), due AS (
          SELECT h.id FROM heads h JOIN webhook_endpoints w ON w.id = h.endpoint_id AND w.enabled
           WHERE h.next_attempt_at <= now() AND (h.lease_until IS NULL OR h.lease_until < now())
           ORDER BY h.next_attempt_at LIMIT 32
        ), candidate AS (
          SELECT d.id FROM deliveries d
           WHERE d.id IN (SELECT id FROM due)
             AND d.status = 'pending' AND d.next_attempt_at <= now() AND (d.lease_until IS NULL OR d.lease_until < now())
           ORDER BY d.next_attempt_at, d.seq
           LIMIT 1
           FOR UPDATE OF d SKIP LOCKED
        )
        UPDATE deliveries d
           SET lease_token = $1, lease_until = now() + make_interval(secs => $2::double precision / 1000),
               first_attempt_at = COALESCE(d.first_attempt_at, now())
          FROM candidate c, webhook_endpoints e, events ev
         WHERE d.id = c.id AND e.id = d.endpoint_id AND ev.position = d.event_position
        RETURNING ${LEASED_COLUMNS}`,
      values: [randomUUID(), this.leaseMs],
    });
    return rows[0];
  }

  private async attempt(delivery: LeasedDelivery): Promise<AttemptOutcome> {
    const started = Date.now();
    let target;
    try {
      // Checked again at every attempt: what the name resolves to may have changed since registration.
      // The lookup counts against the attempt's time, so an attempt always ends within its lease.
      target = await resolveWebhookTarget(delivery.url, { allowPrivateNetworks: this.options.allowPrivateNetworks, timeoutMs: this.options.timeoutMs });
    } catch (error) {
      const reason = error instanceof UnsafeUrlError ? `refused: ${error.message}` : String(error);
      return { ok: false, statusCode: null, error: reason, snippet: null, durationMs: Date.now() - started };
    }
    const now = new Date();
    let signature: string;
    try {
      const secret = this.options.secrets.open(delivery.secret_sealed, delivery.endpoint_id);
      signature = new Webhook(secret).sign(delivery.event_id, now, delivery.body);
    } catch {
      // E.g. WEBHOOK_SECRET_KEY changed since the secret was stored: a failed attempt like any other (it
      // shows in the log and ends dead), not a crash that leaves the delivery leased and retried forever.
      return { ok: false, statusCode: null, error: 'the signing secret cannot be read (was WEBHOOK_SECRET_KEY changed?): rotate the secret', snippet: null, durationMs: Date.now() - started };
    }
    return postWebhook(
      target,
      delivery.body,
      {
        'content-type': 'application/json',
        'user-agent': this.options.userAgent,
        'webhook-id': delivery.event_id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      this.options.timeoutMs,
    );
  }

  /**
   * Writes the attempt and the delivery's new state, if this slot still holds the lease; when the
   * delivery is finished (succeeded or dead), leases the next one of its line in the same transaction.
   */
  private async record(delivery: LeasedDelivery, outcome: AttemptOutcome): Promise<LeasedDelivery | undefined> {
    const attempt = delivery.attempts + 1;
    const decision = outcome.ok
      ? ({ kind: 'succeeded' } as const)
      : nextRetry(this.options.retry, attempt - delivery.retry_base, delivery.first_attempt_at, new Date(), (this.options.random ?? Math.random)());
    const status = decision.kind === 'retry' ? 'pending' : decision.kind;
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      const updated = await client.query({
        name: 'webhook_record_outcome',
        text: `UPDATE deliveries
                  SET attempts = $3, status = $4, next_attempt_at = COALESCE($5, next_attempt_at),
                      last_status_code = $6, last_error = $7, lease_token = NULL, lease_until = NULL,
                      completed_at = CASE WHEN $4 = 'pending' THEN NULL ELSE now() END
                WHERE id = $1 AND lease_token = $2`,
        values: [delivery.id, delivery.lease_token, attempt, status, decision.kind === 'retry' ? decision.at : null, outcome.statusCode, outcome.error],
      });
      if (updated.rowCount === 0) {
        // The lease ran out and another slot took the delivery over: its outcome is the one that counts.
        await client.query('ROLLBACK');
        this.options.logger.warn(`delivery ${delivery.id}: lease lost before the outcome was recorded`);
        return undefined;
      }
      await client.query({
        name: 'webhook_record_attempt',
        text: `INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_snippet)
               VALUES ($1, $2, now() - make_interval(secs => $3::double precision / 1000), $3, $4, $5, $6)`,
        values: [delivery.id, attempt, outcome.durationMs, outcome.statusCode, outcome.error, outcome.snippet],
      });
      let next: LeasedDelivery | undefined;
      if (status !== 'pending' && !this.stopping) {
        const { rows } = await client.query<LeasedDelivery>({
          name: 'webhook_lease_line_next',
          // No SKIP LOCKED here: skipping a locked head would jump the line. The UPDATE waits for it
          // and re-checks the lease on the row as committed.
          text: `UPDATE deliveries d
                    SET lease_token = $3, lease_until = now() + make_interval(secs => $4::double precision / 1000),
                        first_attempt_at = COALESCE(d.first_attempt_at, now())
                   FROM webhook_endpoints e, events ev
                  WHERE d.id = (SELECT h.id FROM deliveries h WHERE h.endpoint_id = $1 AND h.directory_id = $2 AND h.status = 'pending' ORDER BY h.seq LIMIT 1)
                    AND d.status = 'pending' AND d.next_attempt_at <= now() AND (d.lease_until IS NULL OR d.lease_until < now())
                    AND e.id = d.endpoint_id AND e.enabled AND ev.position = d.event_position
                  RETURNING ${LEASED_COLUMNS}`,
          values: [delivery.endpoint_id, delivery.directory_id, randomUUID(), this.leaseMs],
        });
        next = rows[0];
      }
      await client.query('COMMIT');
      this.sent += 1;
      if (status === 'dead') this.options.logger.warn(`delivery ${delivery.id} (event ${delivery.event_id}) is dead after ${attempt} attempts: ${outcome.error ?? ''}`);
      return next;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
