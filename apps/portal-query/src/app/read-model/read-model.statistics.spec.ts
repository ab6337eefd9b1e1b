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
