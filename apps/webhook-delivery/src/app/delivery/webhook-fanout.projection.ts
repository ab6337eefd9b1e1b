import { Topics } from '@scimbridge/contracts';
import type { ProjectedEvent, Projection } from '@scimbridge/messaging';
import type { PoolClient } from 'pg';

/*
 * The consumer of the three public topics. In the same transaction as the runner's checkpoint it
 *  - stores each event (body as received) for the events API,
 *  - records the event's directory and organization (every envelope names both),
 *  - creates one pending delivery per enabled endpoint of the event's organization whose filter matches.
 * So an event is either fully taken on (stored + its deliveries) or not at all, and a redelivered
 * message changes nothing (the runner skips applied sequences; event ids are unique besides).
 */

/** Every transaction of this projection takes this one key first (ProjectionRunner.serializationKey). */
export const EVENTS_SERIALIZATION_KEY = 'webhook-delivery:events';

export const FANOUT_TOPICS = [Topics.directoryEvents, Topics.roleEvents, Topics.roleMappingEvents] as const;

export class WebhookFanoutProjection implements Projection {
  readonly name = 'webhook-fanout';
  readonly topics = FANOUT_TOPICS;

  constructor(private readonly onCommitted: () => void = () => undefined) {}

  /**
   * One key for all: the runner applies up to three partitions at once, and positions (identity values)
   * must become visible in the order they were handed out, or a reader following `position > cursor`
   * could pass a row that commits later with a smaller position. Holding the key from before the first
   * insert until COMMIT makes commit order = position order. Each transaction is a few set-based
   * statements, so the serialisation costs little (measured in docs/benchmarks.md).
   */
  serializationKey(): string {
    return EVENTS_SERIALIZATION_KEY;
  }

  async applyBatch(events: readonly ProjectedEvent[], tx: PoolClient): Promise<void> {
    const ids: string[] = [];
    const types: string[] = [];
    const directories: string[] = [];
    const organizations: string[] = [];
    const bodies: string[] = [];
    for (const event of events) {
      if (typeof event.data !== 'string' || event.directoryId === undefined || event.organizationId === undefined) {
        throw new Error(`event ${event.id} was not decoded by envelopeDecoder`);
      }
      ids.push(event.id);
      types.push(event.type);
      directories.push(event.directoryId);
      organizations.push(event.organizationId);
      bodies.push(event.data);
    }
    await tx.query({
      name: 'webhook_fanout_apply',
      text: `
        WITH incoming AS (
          SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY
                        AS t(event_id, type, directory_id, organization_id, body, n)
        ), directories AS (
          INSERT INTO known_directories (directory_id, organization_id)
          SELECT DISTINCT directory_id, organization_id FROM incoming
          ON CONFLICT (directory_id) DO NOTHING
        ), stored AS (
          INSERT INTO events (event_id, type, directory_id, organization_id, body)
          SELECT event_id, type, directory_id, organization_id, body FROM incoming ORDER BY n
          ON CONFLICT (event_id) DO NOTHING
          RETURNING position, event_id, type, directory_id, organization_id
        )
        INSERT INTO deliveries (id, endpoint_id, directory_id, event_position, event_id, event_type, status, next_attempt_at)
        SELECT gen_random_uuid(), e.id, s.directory_id, s.position, s.event_id, s.type, 'pending', now()
          FROM stored s
          JOIN webhook_endpoints e ON e.organization_id = s.organization_id AND e.enabled
                                  AND (cardinality(e.event_types) = 0 OR s.type = ANY (e.event_types))
         ORDER BY s.position, e.id
        ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
      values: [ids, types, directories, organizations, bodies],
    });
  }

  afterCommit(): void {
    this.onCommitted();
  }
}
