import { createKafkaClient, createServicePool } from '@scimbridge/service-kit';
import { managementCall, requiredEnv } from '@scimbridge/testing';
import type { Pool } from 'pg';
import { SERVICE_NAME } from '../app/app.module';
import type { DirectoryOverviewView } from '../app/directory-overview/directory-overview.service';
import { READ_MODEL_TABLES } from '../app/persistence/read-model.schema';
import { currentGeneration } from '../app/read-model/read-model.worker';
import { rebuildReadModels } from '../app/rebuild/rebuild';
import type { UserSummaryView } from '../app/users-tab/users.query';
import { eventually, PortalDirectory, stackForSuite } from './portal-query.test-support';

/*
 * The rebuild on real infrastructure, with the service running: SCIM traffic, then a replay of the
 * topics from offset 0 into a fresh generation, an atomic switch-over, identical tables, queries
 * answered throughout, and the service carrying on in the new generation.
 */

const suite = stackForSuite();

async function snapshot(pool: Pool, schema: string): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {};
  for (const table of READ_MODEL_TABLES) {
    // Every column, rows in a fixed order: the whole table as text.
    const { rows } = await pool.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}".${table} AS t ORDER BY 1`);
    tables[table] = rows.map((r) => r.row);
  }
  return tables;
}

async function offsets(pool: Pool, schema: string): Promise<string[]> {
  const { rows } = await pool.query<{ k: string }>(`SELECT topic || '#' || partition || '=' || next_offset AS k FROM "${schema}".projection_offsets ORDER BY 1`);
  return rows.map((r) => r.k);
}

describe('portal-query rebuild', () => {
  it('replays into a fresh generation, switches over while answering, ends with identical tables, and goes on from there', async () => {
    const stack = suite.stack;
    const d = await PortalDirectory.create(stack);
    const users: string[] = [];
    for (let i = 0; i < 8; i += 1) users.push(await d.user(`rebuild${i}@example.com`, { active: i % 4 !== 0 }));
    const g1 = await d.group('Rebuilders', users.slice(0, 5));
    const g2 = await d.group('Doomed', users.slice(5));
    // Three GroupCreated in a row: the replay creates them (members, counts) in one statement.
    await d.group('Empty', []);
    await d.leave(g1, users[1] as string);
    await d.patchUser(users[2] as string, { op: 'replace', path: 'displayName', value: 'Renamed' });
    // A run of UserUpdated (one user twice): the replay applies it as one upsert, live applied it one by one.
    await d.patchUser(users[4] as string, { op: 'replace', path: 'title', value: 'Lead' });
    await d.patchUser(users[2] as string, { op: 'replace', path: 'displayName', value: 'Renamed again' });
    expect((await d.scim('DELETE', `/Groups/${g2}`)).status).toBe(204);
    expect((await d.scim('DELETE', `/Users/${users[3]}`)).status).toBe(204);
    await eventually(() => d.get<DirectoryOverviewView>(''), (r) => r.body.counts?.users === 7 && r.body.counts.groups === 2);
    // A directory deleted with its users and groups: only its tombstone remains, in the replay too.
    const gone = await PortalDirectory.create(stack);
    const goneUsers = [await gone.user('gone0@example.com'), await gone.user('gone1@example.com')];
    await gone.group('Gone', goneUsers);
    expect((await managementCall(stack.ingress.url, 'DELETE', `/directories/${gone.id}`)).status).toBe(202);
    await eventually(() => gone.get(''), (r) => r.status === 404, 30_000);

    const pool = createServicePool(SERVICE_NAME, requiredEnv('DATABASE_URL'), 4, () => undefined);
    const kafka = createKafkaClient(SERVICE_NAME, requiredEnv('KAFKA_BROKERS'), 'silent', { warn: () => undefined, debug: () => undefined });
    try {
      const before = await currentGeneration(pool);
      const lagBefore = await eventually(() => managementCall<{ total: number }>(stack.portal.url, 'GET', '/projections/lag'), (r) => r.body.total === 0);
      expect(lagBefore.status).toBe(200);
      const oldTables = await snapshot(pool, before.schema);

      // Queries keep being answered while the rebuild runs and switches.
      let answering = true;
      const failures: string[] = [];
      let answered = 0;
      const reader = (async () => {
        while (answering) {
          const r = await d.get<{ total: number }>('/users');
          if (r.status !== 200 || r.body.total !== 7) failures.push(`${r.status} ${r.text.slice(0, 200)}`);
          answered += 1;
        }
      })();
      // Three events per transaction: the replay runs in many chunks, each one's event log written
      // ahead on a second connection while the chunk before it is in its transaction.
      const report = await rebuildReadModels({ pool, kafka, eventsPerTransaction: 3 });
      answering = false;
      await reader;
      expect(failures).toEqual([]);
      expect(answered).toBeGreaterThan(0);
      expect(report.previousGeneration).toBe(before.generation);
      expect(report.generation).toBe(before.generation + 1);
      expect(report.replayedMessages).toBeGreaterThan(20);
      expect(report.chunksWrittenAhead).toBeGreaterThan(5);
      expect(await currentGeneration(pool)).toEqual({ generation: report.generation, schema: report.schema });

      // The running service follows: its lag endpoint reports the new generation.
      await eventually(() => managementCall<{ generation: number }>(stack.portal.url, 'GET', '/projections/lag'), (r) => r.body.generation === report.generation);
      // Nothing was written meanwhile, so both generations applied the same offsets: identical tables.
      expect(await offsets(pool, report.schema)).toEqual(await offsets(pool, before.schema));
      const newTables = await snapshot(pool, report.schema);
      expect(newTables).toEqual(oldTables);
      expect(newTables['users']?.length).toBeGreaterThanOrEqual(7);
      expect(newTables['groups']?.length).toBeGreaterThanOrEqual(2);
      const tombstone = await pool.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM "${report.schema}".event_log WHERE directory_id = $1) + (SELECT count(*) FROM "${report.schema}".users WHERE directory_id = $1)
              + (SELECT count(*) FROM "${report.schema}".directories WHERE directory_id = $1 AND deleted_at IS NULL) AS n,
                (SELECT count(*) FROM "${report.schema}".directories WHERE directory_id = $1)::int AS rows`,
        [gone.id],
      );
      expect(tombstone.rows[0]).toEqual({ n: '0', rows: 1 });
      // Rebuilders: 5 members, one left, one was deleted.
      const groups = await d.get<{ items: { displayName: string; memberCount: number }[] }>('/groups?sort=displayName');
      expect(groups.body.items.map((g) => `${g.displayName}: ${g.memberCount}`)).toEqual(['Empty: 0', 'Rebuilders: 3']);
      // Autovacuum was off for the tables while they filled, and is back to the server's defaults.
      const { rows: options } = await pool.query<{ relname: string; reloptions: string[] | null }>(
        `SELECT c.relname, c.reloptions FROM pg_class AS c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' ORDER BY 1`,
        [report.schema],
      );
      expect(options.map((o) => o.relname)).toEqual(expect.arrayContaining(['event_log', 'projection_positions', 'users']));
      for (const o of options) expect(`${o.relname} ${(o.reloptions ?? []).filter((x) => x.includes('autovacuum')).join(',')}`).toBe(`${o.relname} `);
      // Vacuumed before the switch-over: the users' pages are all-visible (index-only scans from the start).
      const { rows: visible } = await pool.query<{ relallvisible: number; relpages: number }>(`SELECT relallvisible, relpages FROM pg_class WHERE oid = $1::regclass`, [`"${report.schema}".users`]);
      expect(visible[0]?.relpages).toBeGreaterThan(0);
      expect(visible[0]?.relallvisible).toBe(visible[0]?.relpages);

      // The service goes on in the new generation.
      await d.user('after-rebuild@example.com');
      const after = await eventually(() => d.get<{ items: UserSummaryView[]; total: number }>('/users?search=after-rebuild'), (r) => r.body.total === 1);
      expect(after.body.items[0]?.userName).toBe('after-rebuild@example.com');
      const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${report.schema}".users WHERE user_name = 'after-rebuild@example.com'`);
      expect(rows[0]?.n).toBe(1);
      const old = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${before.schema}".users WHERE user_name = 'after-rebuild@example.com'`);
      expect(old.rows[0]?.n).toBe(0);

      // A second rebuild drops nothing current and keeps one retired generation.
      const again = await rebuildReadModels({ pool, kafka });
      expect(again.generation).toBe(report.generation + 1);
      const { rows: gens } = await pool.query<{ generation: number; state: string }>('SELECT generation, state FROM portal_query.read_model_generations ORDER BY generation');
      expect(gens.slice(-2)).toEqual([
        { generation: report.generation, state: 'retired' },
        { generation: again.generation, state: 'current' },
      ]);
      await eventually(() => managementCall<{ generation: number }>(stack.portal.url, 'GET', '/projections/lag'), (r) => r.body.generation === again.generation);
      expect((await d.get<{ total: number }>('/users')).body.total).toBe(8);
    } finally {
      await pool.end();
    }
  });
});
