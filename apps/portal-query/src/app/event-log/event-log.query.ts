import { Inject, Injectable } from '@nestjs/common';
import type { EventLogEntryView } from '@scimbridge/contracts';
import { PG_POOL } from '@scimbridge/service-kit';
import type { Pool } from 'pg';
import { decodeCursor, encodeCursor } from '../common/keyset-cursor';
import { IngressClient } from '../directory-overview/ingress.client';

export type { EventLogEntryView };

export interface EventLogPage {
  readonly items: readonly EventLogEntryView[];
  readonly nextCursor: string | null;
  /** `ok`, `skipped` (withRequests=false), or why requests could not be looked up. */
  readonly requests: string;
}

const SORT = 'occurredAt:desc';

/** The directory's events, newest first, by (time, id): the same order in every generation. */
@Injectable()
export class EventLogQuery {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly ingress: IngressClient,
  ) {}

  async list(directoryId: string, filter: { type?: readonly string[]; cursor?: string; limit?: number; withRequests?: 'true' | 'false' }): Promise<EventLogPage> {
    const limit = filter.limit ?? 50;
    const values: unknown[] = [directoryId];
    const where = ['e.directory_id = $1'];
    if (filter.type !== undefined && filter.type.length > 0) {
      values.push([...filter.type]);
      where.push(`e.type = ANY($${values.length}::text[])`);
    }
    if (filter.cursor !== undefined) {
      const after = decodeCursor(filter.cursor, SORT);
      values.push(after.v, after.id);
      where.push(`(e.occurred_at, e.event_id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
    }
    const { rows } = await this.pool.query<{ event_id: string; type: string; topic: string; subject: string; sequence: number; occurred_at: Date; at: string; data: unknown }>(
      `SELECT e.event_id, e.type, e.topic, e.subject, e.sequence, e.occurred_at, e.occurred_at::text AS at, e.data FROM event_log AS e
        WHERE ${where.join(' AND ')} ORDER BY e.occurred_at DESC, e.event_id DESC LIMIT ${limit + 1}`,
      values,
    );
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = page[page.length - 1];
    let requests = 'skipped';
    let byEvent = new Map<string, { requestId: string; method: string; path: string; status: number; receivedAt: string }>();
    if (filter.withRequests !== 'false' && page.length > 0) {
      const answer = await this.ingress.requestsForEvents(directoryId, page.map((r) => ({ id: r.event_id, occurredAt: r.occurred_at.toISOString() })));
      if (answer.ok) {
        requests = 'ok';
        byEvent = answer.value;
      } else {
        requests = answer.reason;
      }
    }
    return {
      items: page.map((r) => {
        const request = byEvent.get(r.event_id);
        return {
          id: r.event_id,
          type: r.type,
          topic: r.topic,
          subject: r.subject,
          sequence: r.sequence,
          occurredAt: r.occurred_at.toISOString(),
          data: r.data,
          request: request ? { requestId: request.requestId, method: request.method, path: request.path, status: request.status, receivedAt: request.receivedAt } : null,
        };
      }),
      nextCursor: more && last ? encodeCursor({ s: SORT, v: last.at, id: last.event_id }) : null,
      requests,
    };
  }
}
