import { randomUUID } from 'node:crypto';
import type { ProjectedEvent } from '@scimbridge/messaging';
import { requiredEnv } from '@scimbridge/testing';
import { Pool, type PoolClient } from 'pg';
import { createGenerationTables } from '../app/persistence/read-model.schema';
import { PortalReadModelProjection } from '../app/read-model/portal-read-model.projection';

/*
 * A rebuild writes each chunk's event log ahead of the chunk's transaction, on a second connection
 * (PortalReadModelProjection.logAhead). The one effect that is not order-free is a directory's deletion,
 * which removes its log and stops further logging: whichever of the two transactions comes first, the
 * deleted directory must end with no event-log rows, as it does when everything runs in order. Real
 * PostgreSQL, two connections, each ordering forced.
 */

const pool = new Pool({ connectionString: requiredEnv('DATABASE_URL'), max: 4 });
afterAll(() => pool.end());

interface Setup {
  readonly schema: string;
  readonly projection: PortalReadModelProjection;
  readonly directoryId: string;
  readonly organizationId: string;
}

async function setup(): Promise<Setup> {
  const schema = `log_ahead_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const client = await pool.connect();
  try {
    // Without the query API's indexes, as a rebuild fills a generation.
    await createGenerationTables((text) => client.query(text), schema, { deferQueryIndexes: true });
  } finally {
    client.release();
  }
  return { schema, projection: new PortalReadModelProjection(1, schema, undefined, { logAhead: true }), directoryId: randomUUID(), organizationId: randomUUID() };
}

function event(s: Setup, type: string, subject: string, data: unknown): ProjectedEvent {
  return { id: randomUUID(), type, subject, sequence: 1, data, directoryId: s.directoryId, organizationId: s.organizationId, time: new Date().toISOString() };
}

async function begin(): Promise<PoolClient> {
  const client = await pool.connect();
  await client.query('BEGIN');
  return client;
}

async function commit(client: PoolClient): Promise<void> {
  await client.query('COMMIT');
  client.release();
}

/** Whether a promise is still pending after a while (i.e. waiting on a lock). */
async function stillWaiting(promise: Promise<unknown>, ms = 300): Promise<boolean> {
  return Promise.race([promise.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), ms))]);
}

async function logRows(s: Setup): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${s.schema}".event_log WHERE directory_id = $1`, [s.directoryId]);
  return rows[0]?.n ?? -1;
}

describe('event log written ahead vs. a directory deletion', () => {
  const laterEvents = (s: Setup): ProjectedEvent[] => [
    event(s, 'UserDeprovisioned', `directory_user:${s.directoryId}:u1`, { userId: 'u1' }),
    event(s, 'DirectoryTokenRevoked', `directory:${s.directoryId}`, {}),
  ];
  const deletion = (s: Setup): ProjectedEvent => event(s, 'DirectoryDeleted', `directory:${s.directoryId}`, { directoryId: s.directoryId });
  const applyAhead = (s: Setup, events: readonly ProjectedEvent[], tx: PoolClient): Promise<void> => (s.projection.applyAhead as NonNullable<typeof s.projection.applyAhead>)(events, tx);

  it('waits for a deletion in flight, then logs nothing of that directory', async () => {
    const s = await setup();
    const deleting = await begin();
    await s.projection.applyBatch([deletion(s)], deleting);
    expect(await logRows(s)).toBe(0);

    const ahead = await begin();
    const writing = applyAhead(s, laterEvents(s), ahead);
    expect(await stillWaiting(writing)).toBe(true);
    await commit(deleting);
    await writing;
    await commit(ahead);
    expect(await logRows(s)).toBe(0);
  });

  it('makes a deletion wait for the log written ahead, which the deletion then removes', async () => {
    const s = await setup();
    const ahead = await begin();
    await applyAhead(s, laterEvents(s), ahead);

    const deleting = await begin();
    const deleted = s.projection.applyBatch([deletion(s)], deleting);
    expect(await stillWaiting(deleted)).toBe(true);
    await commit(ahead);
    await deleted;
    await commit(deleting);
    expect(await logRows(s)).toBe(0);
  });

  it('logs ahead, and the chunk that follows does not log again', async () => {
    const s = await setup();
    const events = laterEvents(s);
    const ahead = await begin();
    await applyAhead(s, events, ahead);
    await commit(ahead);
    expect(await logRows(s)).toBe(2);
    const tx = await begin();
    await s.projection.applyBatch(events, tx, { aheadCommitted: true });
    await commit(tx);
    expect(await logRows(s)).toBe(2);
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${s.schema}".directories WHERE directory_id = $1`, [s.directoryId]);
    expect(rows[0]?.n).toBe(1);
  });
});
