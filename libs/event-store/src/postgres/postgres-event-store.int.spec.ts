import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { requiredEnv } from '@scimbridge/testing';
import { eventStoreContract } from '../contract/event-store.contract-suite';
import { ConcurrencyError, DuplicateEventIdError } from '../event-store.errors';
import { comparePositions, type NewEvent, type RecordedEvent } from '../event-store.port';
import { PostgresEventStore } from './postgres-event-store';

const schema = `es_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
const pool = new Pool({ connectionString: requiredEnv('DATABASE_URL'), max: 30 });
const store = new PostgresEventStore(pool, { schema, pollIntervalMs: 20 });

const event = (type: string, data: Record<string, unknown> = {}): NewEvent => ({
  id: randomUUID(),
  type,
  schemaVersion: 1,
  data,
  metadata: { directoryId: 'dir-1', organizationId: 'org-1', occurredAt: '2026-01-01T00:00:00.000Z' },
});

async function readEverything(): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let after: RecordedEvent['position'] | undefined;
  for (;;) {
    const page = await store.readAll({ after, limit: 1000 });
    if (page.length === 0) return all;
    all.push(...page);
    after = page[page.length - 1]?.position;
  }
}

beforeAll(async () => {
  await store.migrate();
  await store.migrate(); // idempotent
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

eventStoreContract('PostgresEventStore', () => store);

describe('PostgresEventStore', () => {
  it('never lets readAll pass an event whose transaction commits late', async () => {
    const before = (await readEverything()).at(-1)?.position;
    const slow = await pool.connect();
    try {
      // T1 takes the lower position but commits last.
      await slow.query('BEGIN');
      const lateEvent = event('CommittedLate');
      await slow.query(
        `INSERT INTO "${schema}".events (event_id, stream_id, stream_version, type, schema_version, data, metadata)
         VALUES ($1, 'late:1', 1, 'CommittedLate', 1, '{}', '{}')`,
        [lateEvent.id],
      );
      await store.append('late:2', [event('CommittedEarly')], { expectedVersion: 0 });

      // While T1 is open, the early commit is held back rather than returned past T1's position.
      const whileOpen = await store.readAll({ after: before, limit: 100 });
      expect(whileOpen.map((e) => e.type)).not.toContain('CommittedEarly');

      await slow.query('COMMIT');
      const afterCommit = await store.readAll({ after: before, limit: 100 });
      const types = afterCommit.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['CommittedLate', 'CommittedEarly']));
      expect(types.indexOf('CommittedLate')).toBeLessThan(types.indexOf('CommittedEarly'));
    } finally {
      slow.release();
    }
  });

  it('gives a reader every event exactly once, in per-stream order, under many concurrent appenders', async () => {
    const streams = Array.from({ length: 40 }, (_, i) => `load:${randomUUID().slice(0, 8)}:${i}`);
    const perStream = 15;
    const start = (await readEverything()).at(-1)?.position;
    const seen: RecordedEvent[] = [];
    // A live reader checkpointing as it goes — it must not lose events that commit out of order.
    const subscription = store.subscribe(
      async (events) => {
        seen.push(...events);
      },
      { after: start, batchSize: 50, pollIntervalMs: 5 },
    );
    await Promise.all(
      streams.map(async (stream) => {
        for (let v = 0; v < perStream; v += 1) {
          // Half the appends go through explicit transactions that linger, to make commits overtake.
          if (v % 2 === 0) {
            await store.withTransaction(async (tx) => {
              await tx.append(stream, [event('Step', { v })], { expectedVersion: v });
              await new Promise((r) => setTimeout(r, Math.random() * 8));
            });
          } else {
            await store.append(stream, [event('Step', { v })], { expectedVersion: v });
          }
        }
      }),
    );
    const expected = streams.length * perStream;
    const deadline = Date.now() + 20_000;
    while (seen.filter((e) => e.streamId.startsWith('load:')).length < expected && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await subscription.stop();
    const mine = seen.filter((e) => streams.includes(e.streamId));
    expect(mine).toHaveLength(expected);
    expect(new Set(mine.map((e) => e.id)).size).toBe(expected);
    for (const stream of streams) {
      expect(mine.filter((e) => e.streamId === stream).map((e) => e.streamVersion)).toEqual(
        Array.from({ length: perStream }, (_, i) => i + 1),
      );
    }
    for (let i = 1; i < seen.length; i += 1) {
      expect(comparePositions((seen[i - 1] as RecordedEvent).position, (seen[i] as RecordedEvent).position)).toBe(-1);
    }
  });

  it('rolls appends back with the rest of a failed transaction', async () => {
    const stream = `tx:${randomUUID()}`;
    await expect(
      store.withTransaction(async (tx) => {
        await tx.append(stream, [event('Created')], { expectedVersion: 0 });
        await tx.client.query('SELECT 1');
        throw new Error('state write failed');
      }),
    ).rejects.toThrow('state write failed');
    expect(await store.readStream(stream)).toEqual([]);
  });

  it('keeps a transaction usable after a ConcurrencyError inside it', async () => {
    const stream = `tx:${randomUUID()}`;
    await store.append(stream, [event('Created')], { expectedVersion: 0 });
    const result = await store.withTransaction(async (tx) => {
      await expect(tx.append(stream, [event('Stale')], { expectedVersion: 0 })).rejects.toBeInstanceOf(ConcurrencyError);
      return tx.append(stream, [event('Fresh')], { expectedVersion: 1 });
    });
    expect(result.nextExpectedVersion).toBe(2);
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['Created', 'Fresh']);
  });

  it('without savepoints, reports a racing append as a ConcurrencyError and writes nothing of the loser', async () => {
    const stream = `tx:${randomUUID()}`;
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = store.withTransaction(async (tx) => {
      await tx.append(stream, [event('First')], { expectedVersion: 0 });
      await firstHolds;
    }, { savepoints: false });
    await new Promise((r) => setTimeout(r, 100));
    // The second blocks on the unique index until the first commits, then fails on it.
    const second = store.withTransaction(async (tx) => {
      await tx.append(stream, [event('Second')], { expectedVersion: 0 });
    }, { savepoints: false });
    await new Promise((r) => setTimeout(r, 100));
    releaseFirst();
    await first;
    await expect(second).rejects.toBeInstanceOf(ConcurrencyError);
    // A stale expected version (no race) is reported the same way.
    await expect(store.withTransaction((tx) => tx.append(stream, [event('Stale')], { expectedVersion: 0 }), { savepoints: false })).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['First']);
  });

  describe('appendWith (companion statement and append as one SQL statement)', () => {
    const table = `"${schema}".append_with_state`;
    beforeAll(async () => {
      await pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, name text NOT NULL UNIQUE, version int NOT NULL)`);
    });
    const insertState = (id: string, name: string) => ({ text: `INSERT INTO ${table} (id, name, version) VALUES ($1, $2, 1) RETURNING 1`, values: [id, name] });
    const stateRows = async (id: string) => (await pool.query(`SELECT name, version FROM ${table} WHERE id = $1`, [id])).rows;
    /** The append was refused as a ConcurrencyError naming version 1, and its companion row rolled back. */
    const expectRefusedAtVersion1 = async (attempt: Promise<unknown>, id: string) => {
      await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(attempt).rejects.toMatchObject({ actualVersion: 1 });
      expect(await stateRows(id)).toEqual([]);
    };

    it('writes the companion row and the events together, with versions counted from expectedVersion', async () => {
      const id = randomUUID();
      const result = await store.appendWith(`aw:${id}`, [event('Created'), event('Named')], { expectedVersion: 0 }, insertState(id, `n-${id}`));
      expect(result).toEqual({ nextExpectedVersion: 2, alreadyAppended: false, companionRows: 1 });
      expect((await store.readStream(`aw:${id}`)).map((e) => [e.type, e.streamVersion])).toEqual([['Created', 1], ['Named', 2]]);
      expect(await stateRows(id)).toEqual([{ name: `n-${id}`, version: 1 }]);
      // And an update guarded by the caller's own check, on the same stream.
      const update = (from: number) => ({ text: `UPDATE ${table} SET version = version + 1 WHERE id = $1 AND version = $2 RETURNING 1`, values: [id, from] });
      expect((await store.appendWith(`aw:${id}`, [event('Renamed')], { expectedVersion: 2 }, update(1))).companionRows).toBe(1);
      // The caller's check fails: nothing at all is written.
      expect(await store.appendWith(`aw:${id}`, [event('Lost')], { expectedVersion: 3 }, update(1))).toEqual({ nextExpectedVersion: 3, alreadyAppended: false, companionRows: 0 });
      expect((await store.readStream(`aw:${id}`)).map((e) => e.type)).toEqual(['Created', 'Named', 'Renamed']);
      expect(await stateRows(id)).toEqual([{ name: `n-${id}`, version: 2 }]);
    });

    it('reports a stream that moved on as a ConcurrencyError and rolls the companion back', async () => {
      const id = randomUUID();
      await store.append(`aw:${id}`, [event('Elsewhere')], { expectedVersion: 0 });
      await expectRefusedAtVersion1(store.appendWith(`aw:${id}`, [event('Created')], { expectedVersion: 0 }, insertState(id, `n-${id}`)), id);
      expect((await store.readStream(`aw:${id}`)).map((e) => e.type)).toEqual(['Elsewhere']);
    });

    it("passes the companion's own errors on and appends nothing", async () => {
      const first = randomUUID();
      const second = randomUUID();
      await store.appendWith(`aw:${first}`, [event('Created')], { expectedVersion: 0 }, insertState(first, `clash-${first}`));
      await expect(store.appendWith(`aw:${second}`, [event('Created')], { expectedVersion: 0 }, insertState(second, `clash-${first}`))).rejects.toMatchObject({
        code: '23505',
        constraint: 'append_with_state_name_key',
      });
      expect(await store.readStream(`aw:${second}`)).toEqual([]);
    });

    it('of racing creators of one stream, exactly one wins', async () => {
      const id = randomUUID();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.appendWith(`aw:${id}`, [event(`Try${i}`)], { expectedVersion: 0 }, insertState(`${id}-${i}`, `race-${id}-${i}`))),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof ConcurrencyError)).toHaveLength(7);
      expect(await store.readStream(`aw:${id}`)).toHaveLength(1);
      expect(Number((await pool.query(`SELECT count(*) FROM ${table} WHERE name LIKE $1`, [`race-${id}-%`])).rows[0].count)).toBe(1);
    });

    it('refuses an expectedVersion the stream is not at (no gap, no companion write)', async () => {
      const id = randomUUID();
      await store.append(`aw:${id}`, [event('Created')], { expectedVersion: 0 });
      await expectRefusedAtVersion1(store.appendWith(`aw:${id}`, [event('Skipped')], { expectedVersion: 5 }, insertState(id, `n-${id}`)), id);
      expect((await store.readStream(`aw:${id}`)).map((e) => e.streamVersion)).toEqual([1]);
    });

    describe('appendNewStreamsWith (several new streams and their companion rows, one statement)', () => {
      /** Rows are (id, name); a name that is taken is skipped, and so are its stream's events. */
      const insertMany = (rows: [string, string][]) => ({
        text: `INSERT INTO ${table} (id, name, version) VALUES ${rows.map((_, i) => `($${2 * i + 1}, $${2 * i + 2}, 1)`).join(', ')}
                 ON CONFLICT (name) DO NOTHING RETURNING id AS key`,
        values: rows.flat(),
      });
      const streamOf = (id: string, events: NewEvent[] = [event('Created')]) => ({ streamId: `an:${id}`, key: id, events });

      it('writes every row and every stream, versions from 1, in the given order', async () => {
        const ids = [randomUUID(), randomUUID(), randomUUID()];
        const before = (await readEverything()).length;
        const result = await store.appendNewStreamsWith(
          ids.map((id, i) => streamOf(id, i === 1 ? [event(`Created${i}`), event(`Named${i}`)] : [event(`Created${i}`)])),
          insertMany(ids.map((id) => [id, `many-${id}`])),
        );
        expect(result.appended).toEqual(new Set(ids.map((id) => `an:${id}`)));
        expect((await store.readStream(`an:${ids[1]}`)).map((e) => [e.type, e.streamVersion])).toEqual([['Created1', 1], ['Named1', 2]]);
        for (const id of ids) expect(await stateRows(id)).toEqual([{ name: `many-${id}`, version: 1 }]);
        const all = await readEverything();
        expect(all.slice(before).map((e) => e.type)).toEqual(['Created0', 'Created1', 'Named1', 'Created2']);
      });

      it('appends exactly the streams whose row the companion wrote (a clash skips one, not the group)', async () => {
        const [taken, a, b, c] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
        await store.appendWith(`an:${taken}`, [event('Created')], { expectedVersion: 0 }, insertState(taken, `name-${taken}`));
        const result = await store.appendNewStreamsWith(
          [streamOf(a), streamOf(b), streamOf(c)],
          // b clashes with an existing row, c with a row of this very statement (first one wins).
          insertMany([[a, `free-${a}`], [b, `name-${taken}`], [c, `free-${a}`]]),
        );
        expect(result.appended).toEqual(new Set([`an:${a}`]));
        expect(await store.readStream(`an:${b}`)).toEqual([]);
        expect(await store.readStream(`an:${c}`)).toEqual([]);
        expect(await stateRows(b)).toEqual([]);
        expect(await stateRows(a)).toEqual([{ name: `free-${a}`, version: 1 }]);
      });

      it('writes nothing when one stream already exists (ConcurrencyError) or the companion fails', async () => {
        const [a, b] = [randomUUID(), randomUUID()];
        await store.append(`an:${b}`, [event('Elsewhere')], { expectedVersion: 0 });
        const taken = store.appendNewStreamsWith([streamOf(a), streamOf(b)], insertMany([[a, `x-${a}`], [b, `x-${b}`]]));
        await expect(taken).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await stateRows(a)).toEqual([]);
        expect(await store.readStream(`an:${a}`)).toEqual([]);

        const c = randomUUID();
        const failing = { text: `INSERT INTO ${table} (id, name, version) VALUES ($1, NULL, 1) RETURNING id AS key`, values: [c] };
        await expect(store.appendNewStreamsWith([streamOf(c)], failing)).rejects.toMatchObject({ code: '23502' });
        expect(await store.readStream(`an:${c}`)).toEqual([]);
      });

      it('stores event data and metadata as append does, JSON null and nested values included', async () => {
        const id = randomUUID();
        const odd: NewEvent = { ...event('Odd'), data: null as unknown as Record<string, unknown> };
        const nested = event('Nested', { list: [1, 'two', null, { deep: true }], text: 'quote " and \\ backslash', n: 2 ** 53 - 1 });
        await store.appendNewStreamsWith([streamOf(id, [odd, nested])], insertMany([[id, `odd-${id}`]]));
        const stored = await store.readStream(`an:${id}`);
        expect(stored.map((e) => [e.type, e.data, e.metadata])).toEqual([
          ['Odd', null, odd.metadata],
          ['Nested', nested.data, nested.metadata],
        ]);
      });

      it('appends nothing when the companion returns no row, and refuses empty input', async () => {
        const id = randomUUID();
        const nothing = { text: `UPDATE ${table} SET version = version WHERE false RETURNING id AS key`, values: [] };
        expect((await store.appendNewStreamsWith([streamOf(id)], nothing)).appended.size).toBe(0);
        expect(await store.readStream(`an:${id}`)).toEqual([]);
        await expect(store.appendNewStreamsWith([], nothing)).rejects.toThrow(/at least one stream/);
        await expect(store.appendNewStreamsWith([{ streamId: `an:${id}`, key: id, events: [] }], nothing)).rejects.toThrow(/at least one event/);
      });
    });

    it('rejects an expectedVersion that is not a version number before touching the database', async () => {
      await expect(store.appendWith('aw:x', [event('Created')], { expectedVersion: -1 }, insertState('x', 'x'))).rejects.toThrow(/expectedVersion/);
      await expect(store.appendWith('aw:x', [], { expectedVersion: 0 }, insertState('x', 'x'))).rejects.toThrow(/at least one event/);
    });
  });

  it('with coalesceMs, hands appends that arrive one by one to the subscriber as one batch', async () => {
    const coalescing = new PostgresEventStore(pool, { schema, pollIntervalMs: 60_000 });
    const start = (await readEverything()).at(-1)?.position;
    const batches: number[] = [];
    const streams = new Set<string>();
    const subscription = coalescing.subscribe(async (events) => {
      const mine = events.filter((e) => streams.has(e.streamId));
      if (mine.length > 0) batches.push(mine.length);
    }, { after: start, coalesceMs: 500 });
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 5; i += 1) {
      const stream = `co:${randomUUID()}`;
      streams.add(stream);
      await coalescing.append(stream, [event('One')], { expectedVersion: 0 });
    }
    const deadline = Date.now() + 5_000;
    while (batches.reduce((a, b) => a + b, 0) < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await subscription.stop();
    // Five serial appends take far less than 500 ms: one wake-up, one read, one batch.
    expect(batches).toEqual([5]);
  });

  it("refuses an append from a transaction older than the stream's last append, so readers never see a stream out of order", async () => {
    const stream = `order:${randomUUID()}`;
    const since = (await readEverything()).at(-1)?.position;
    let releaseOld!: () => void;
    const oldMayAppend = new Promise<void>((resolve) => (releaseOld = resolve));
    // The old transaction gets its id first (as a writer does that writes something else, or waits on
    // a lock with its id already assigned), then a younger one appends version 1 and commits.
    const old = store.withTransaction(async (tx) => {
      await tx.client.query('SELECT pg_current_xact_id()');
      await oldMayAppend;
      await tx.append(stream, [event('Second')], { expectedVersion: 1 });
    }, { savepoints: false });
    await new Promise((r) => setTimeout(r, 100));
    await store.append(stream, [event('First')], { expectedVersion: 0 });
    releaseOld();
    await expect(old).rejects.toBeInstanceOf(ConcurrencyError);
    // Retried as a new transaction it goes through, and readers get the stream in version order.
    await store.withTransaction((tx) => tx.append(stream, [event('Second')], { expectedVersion: 1 }), { savepoints: false });
    const read: RecordedEvent[] = [];
    let after = since;
    for (;;) {
      const page = await store.readAll({ after, limit: 1000 });
      if (page.length === 0) break;
      read.push(...page.filter((e) => e.streamId === stream));
      after = page[page.length - 1]?.position;
    }
    expect(read.map((e) => [e.type, e.streamVersion])).toEqual([['First', 1], ['Second', 2]]);
  });

  describe('appendToStreamsIn', () => {
    it('appends to many streams at their ends in one statement, in the given order, inside the caller transaction', async () => {
      const [a, b, c] = [`many:${randomUUID()}`, `many:${randomUUID()}`, `many:${randomUUID()}`];
      await store.append(a, [event('A1'), event('A2')], { expectedVersion: 0 });
      const appends = [
        { streamId: a, event: event('A3') },
        { streamId: b, event: event('B1') },
        { streamId: a, event: event('A4') },
        { streamId: c, event: event('C1', { nested: { x: [1, null] } }) },
      ];
      const result = await store.withTransaction((tx) => store.appendToStreamsIn(tx.client, appends));
      expect(result).toEqual({ appended: 4, skipped: 0 });
      expect((await store.readStream(a)).map((e) => [e.type, e.streamVersion])).toEqual([['A1', 1], ['A2', 2], ['A3', 3], ['A4', 4]]);
      expect((await store.readStream(b)).map((e) => [e.type, e.streamVersion])).toEqual([['B1', 1]]);
      const [c1] = await store.readStream(c);
      expect([c1?.id, c1?.data, c1?.metadata]).toEqual([appends[3]?.event.id, { nested: { x: [1, null] } }, appends[3]?.event.metadata]);
      // Global order is the order given.
      const all = (await readEverything()).filter((e) => [a, b, c].includes(e.streamId) && e.type !== 'A1' && e.type !== 'A2');
      expect(all.map((e) => e.type)).toEqual(['A3', 'B1', 'A4', 'C1']);
    });

    it('skips events whose id is stored already (a replay recomputing them) and appends the rest', async () => {
      const stream = `many:${randomUUID()}`;
      const first = event('First');
      await store.withTransaction((tx) => store.appendToStreamsIn(tx.client, [{ streamId: stream, event: first }]));
      const again = await store.withTransaction((tx) => store.appendToStreamsIn(tx.client, [{ streamId: stream, event: first }, { streamId: stream, event: event('Second') }]));
      expect(again).toEqual({ appended: 1, skipped: 1 });
      expect((await store.readStream(stream)).map((e) => [e.type, e.streamVersion])).toEqual([['First', 1], ['Second', 2]]);
    });

    it('rolls back with the caller and refuses to write behind a younger transaction', async () => {
      const stream = `many:${randomUUID()}`;
      await expect(
        store.withTransaction(async (tx) => {
          await store.appendToStreamsIn(tx.client, [{ streamId: stream, event: event('Gone') }]);
          throw new Error('caller failed');
        }),
      ).rejects.toThrow('caller failed');
      expect(await store.readStream(stream)).toEqual([]);

      let release!: () => void;
      const mayAppend = new Promise<void>((r) => (release = r));
      const old = store.withTransaction(async (tx) => {
        await tx.client.query('SELECT pg_current_xact_id()');
        await mayAppend;
        await store.appendToStreamsIn(tx.client, [{ streamId: stream, event: event('Late') }]);
      });
      await new Promise((r) => setTimeout(r, 100));
      await store.append(stream, [event('First')], { expectedVersion: 0 });
      release();
      await expect(old).rejects.toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['First']);
    });

    it('refuses the same new id twice in one call, and ids that are not UUIDs', async () => {
      const e = event('Twice');
      await expect(store.withTransaction((tx) => store.appendToStreamsIn(tx.client, [{ streamId: `many:${randomUUID()}`, event: e }, { streamId: `many:${randomUUID()}`, event: e }]))).rejects.toBeInstanceOf(DuplicateEventIdError);
      await expect(store.withTransaction((tx) => store.appendToStreamsIn(tx.client, [{ streamId: 'x', event: { ...e, id: 'nope' } }]))).rejects.toThrow('must be a UUID');
      expect(await store.withTransaction((tx) => store.appendToStreamsIn(tx.client, []))).toEqual({ appended: 0, skipped: 0 });
    });
  });

  it('lets one transaction append to a stream twice', async () => {
    const stream = `twice:${randomUUID()}`;
    await store.withTransaction(async (tx) => {
      await tx.append(stream, [event('A')], { expectedVersion: 0 });
      await tx.append(stream, [event('B')], { expectedVersion: 1 });
    }, { savepoints: false });
    expect((await store.readStream(stream)).map((e) => [e.type, e.streamVersion])).toEqual([['A', 1], ['B', 2]]);
  });

  it('refuses to reuse an event id in another stream', async () => {
    const shared = event('Created');
    await store.append(`dup:${randomUUID()}`, [shared], { expectedVersion: 0 });
    await expect(store.append(`dup:${randomUUID()}`, [shared], { expectedVersion: 0 })).rejects.toBeInstanceOf(
      DuplicateEventIdError,
    );
  });

  it('is append-only: updates and deletes of stored events are refused by the database', async () => {
    const stream = `ro:${randomUUID()}`;
    await store.append(stream, [event('Created')], { expectedVersion: 0 });
    await expect(pool.query(`UPDATE "${schema}".events SET type = 'Tampered' WHERE stream_id = $1`, [stream])).rejects.toThrow(
      /append-only/,
    );
    await expect(pool.query(`DELETE FROM "${schema}".events WHERE stream_id = $1`, [stream])).rejects.toThrow(/append-only/);
  });

  it('rejects ids that are not UUIDs before touching the database', async () => {
    await expect(store.append('bad', [{ ...event('X'), id: 'not-a-uuid' }], { expectedVersion: 0 })).rejects.toThrow(/UUID/);
  });
});
