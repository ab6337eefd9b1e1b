import type { Pool } from 'pg';
import { ReadModelStatistics } from './read-model.statistics';

/** A pool that records statements and answers the reltuples query with `rows`. */
function fakePool(rows: () => number): { pool: Pool; analyses: () => number; settle: () => Promise<void> } {
  const statements: string[] = [];
  const pending: Promise<unknown>[] = [];
  const pool = {
    query: (text: string) => {
      statements.push(text);
      const answer = Promise.resolve(text.startsWith('VACUUM (ANALYZE)') ? { rows: [] } : { rows: [{ rows: rows() }] });
      pending.push(answer);
      return answer;
    },
  } as unknown as Pool;
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 10; i += 1) await Promise.all(pending.splice(0));
  };
  return { pool, analyses: () => statements.filter((s) => s.startsWith('VACUUM (ANALYZE)')).length, settle };
}

describe('ReadModelStatistics', () => {
  it('analyses a never-analysed generation after 2,000 events, then after each further half of its rows', async () => {
    let rows = 0;
    const { pool, analyses, settle } = fakePool(() => rows);
    const statistics = new ReadModelStatistics(pool, 'portal_query_g1', () => undefined);
    statistics.noteApplied(1_999);
    await settle();
    expect(analyses()).toBe(0);
    statistics.noteApplied(1);
    await settle();
    expect(analyses()).toBe(1);
    rows = 100_000;
    await statistics.analyze();
    statistics.noteApplied(49_999);
    await settle();
    expect(analyses()).toBe(2);
    statistics.noteApplied(1);
    await settle();
    expect(analyses()).toBe(3);
  });

  it('runs a pass when a sync settles with at least 2,000 changes not covered, and not for fewer', async () => {
    const { pool, analyses, settle } = fakePool(() => 100_000);
    const statistics = new ReadModelStatistics(pool, 'portal_query_g3', () => undefined, { settleMs: 30 });
    await statistics.analyze();
    expect(analyses()).toBe(1);
    // A sync's tail: 3,000 changes, far below half of 100,000 rows, then nothing more.
    statistics.noteApplied(2_000);
    statistics.noteApplied(1_000);
    await settle();
    expect(analyses()).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    await settle();
    expect(analyses()).toBe(2);
    // 1,500 changes after that: not worth a pass of their own.
    statistics.noteApplied(1_500);
    await new Promise((r) => setTimeout(r, 80));
    await settle();
    expect(analyses()).toBe(2);
    await statistics.stop();
  });

  it('leaves tables analysed before it started (a rebuild) alone until half of them changed', async () => {
    const { pool, analyses, settle } = fakePool(() => 100_000);
    const statistics = new ReadModelStatistics(pool, 'portal_query_g2', () => undefined);
    statistics.noteApplied(5_000);
    await settle();
    expect(analyses()).toBe(0);
    statistics.noteApplied(45_000);
    await settle();
    expect(analyses()).toBe(1);
    await statistics.stop();
  });
});
