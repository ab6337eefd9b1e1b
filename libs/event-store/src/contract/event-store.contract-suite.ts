import { randomUUID } from 'node:crypto';
import { ConcurrencyError } from '../event-store.errors';
import { comparePositions, type EventStore, type NewEvent, type RecordedEvent } from '../event-store.port';

/**
 * The behaviour every EventStore adapter must have, run by each adapter's integration spec against a
 * real server. Streams are named with a fresh prefix per run, so the suite also works on a shared server.
 */
export function eventStoreContract(name: string, getStore: () => EventStore): void {
  describe(`${name}: EventStore contract`, () => {
    const prefix = `contract_${randomUUID().slice(0, 8)}`;
    const event = (type: string, data: Record<string, unknown> = {}): NewEvent => ({
      id: randomUUID(),
      type,
      schemaVersion: 1,
      data,
      metadata: { directoryId: 'dir-1', organizationId: 'org-1', occurredAt: '2026-01-01T00:00:00.000Z' },
    });

    it('appends to a new stream and reads it back in version order, starting at version 1', async () => {
      const store = getStore();
      const stream = `${prefix}:a`;
      const first = await store.append(stream, [event('Created', { n: 1 }), event('Renamed', { n: 2 })], { expectedVersion: 'no_stream' });
      expect(first).toEqual({ nextExpectedVersion: 2, alreadyAppended: false });
      await store.append(stream, [event('Renamed', { n: 3 })], { expectedVersion: 2 });
      const read = await store.readStream(stream);
      expect(read.map((e) => [e.streamVersion, e.type, e.data])).toEqual([
        [1, 'Created', { n: 1 }],
        [2, 'Renamed', { n: 2 }],
        [3, 'Renamed', { n: 3 }],
      ]);
      expect(read[0]?.metadata).toMatchObject({ directoryId: 'dir-1', organizationId: 'org-1' });
      expect((await store.readStream(stream, { fromVersion: 3 })).map((e) => e.streamVersion)).toEqual([3]);
      expect(await store.readStream(`${prefix}:never-written`)).toEqual([]);
    });

    it('orders a stream numerically past version 9', async () => {
      const store = getStore();
      const stream = `${prefix}:long`;
      await store.append(stream, Array.from({ length: 12 }, (_, i) => event('Step', { i })), { expectedVersion: 0 });
      const versions = (await store.readStream(stream)).map((e) => e.streamVersion);
      expect(versions).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    });

    it('refuses an append at the wrong expected version with a ConcurrencyError naming the actual version', async () => {
      const store = getStore();
      const stream = `${prefix}:b`;
      await store.append(stream, [event('Created')], { expectedVersion: 0 });
      await expect(store.append(stream, [event('Renamed')], { expectedVersion: 0 })).rejects.toMatchObject({
        name: 'ConcurrencyError',
        actualVersion: 1,
      });
      await expect(store.append(stream, [event('Renamed')], { expectedVersion: 5 })).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.readStream(stream)).toHaveLength(1);
    });

    it('lets exactly one of two concurrent writers at the same expected version win', async () => {
      const store = getStore();
      const stream = `${prefix}:c`;
      await store.append(stream, [event('Created')], { expectedVersion: 0 });
      const results = await Promise.allSettled([
        store.append(stream, [event('ByWriterOne')], { expectedVersion: 1 }),
        store.append(stream, [event('ByWriterTwo')], { expectedVersion: 1 }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect(rejected[0]?.reason).toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream(stream)).map((e) => e.streamVersion)).toEqual([1, 2]);
    });

    it('treats a retried append (same event ids) as done, without writing twice', async () => {
      const store = getStore();
      const stream = `${prefix}:d`;
      const batch = [event('Created'), event('Renamed')];
      await store.append(stream, batch, { expectedVersion: 0 });
      const retry = await store.append(stream, batch, { expectedVersion: 0 });
      expect(retry).toEqual({ nextExpectedVersion: 2, alreadyAppended: true });
      expect((await store.readStream(stream)).map((e) => e.id)).toEqual(batch.map((e) => e.id));
    });

    it("appends at whatever version the stream is with 'any'", async () => {
      const store = getStore();
      const stream = `${prefix}:e`;
      await store.append(stream, [event('One')], { expectedVersion: 'any' });
      const second = await store.append(stream, [event('Two')], { expectedVersion: 'any' });
      expect(second.nextExpectedVersion).toBe(2);
    });

    it('reads all streams in one global order that keeps each stream in version order, resuming after a position', async () => {
      const store = getStore();
      const streams = [`${prefix}:g1`, `${prefix}:g2`, `${prefix}:g3`];
      for (let round = 1; round <= 3; round += 1) {
        for (const stream of streams) await store.append(stream, [event('Step', { round })], { expectedVersion: round - 1 });
      }
      const mine = async (after?: RecordedEvent['position']): Promise<RecordedEvent[]> => {
        const all: RecordedEvent[] = [];
        let position = after;
        for (;;) {
          const page = await store.readAll({ after: position, limit: 100 });
          if (page.length === 0) return all.filter((e) => streams.includes(e.streamId));
          all.push(...page);
          position = page[page.length - 1]?.position;
        }
      };
      const all = await mine();
      expect(all).toHaveLength(9);
      for (let i = 1; i < all.length; i += 1) {
        expect(comparePositions((all[i - 1] as RecordedEvent).position, (all[i] as RecordedEvent).position)).toBe(-1);
      }
      for (const stream of streams) {
        expect(all.filter((e) => e.streamId === stream).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
      }
      const afterFourth = await mine((all[3] as RecordedEvent).position);
      expect(afterFourth.map((e) => e.id)).toEqual(all.slice(4).map((e) => e.id));
    });

    it('delivers events appended after subscribing, in order', async () => {
      const store = getStore();
      const stream = `${prefix}:s`;
      const seen: string[] = [];
      const tail = (await store.readAll({ limit: 100_000 })).at(-1)?.position;
      let resolveSeen: () => void = () => undefined;
      const allSeen = new Promise<void>((r) => (resolveSeen = r));
      const subscription = store.subscribe(
        async (events) => {
          for (const e of events) if (e.streamId === stream) seen.push(e.type);
          if (seen.length >= 3) resolveSeen();
        },
        { after: tail, pollIntervalMs: 20 },
      );
      try {
        await store.append(stream, [event('One')], { expectedVersion: 0 });
        await store.append(stream, [event('Two'), event('Three')], { expectedVersion: 1 });
        await allSeen;
        expect(seen).toEqual(['One', 'Two', 'Three']);
      } finally {
        await subscription.stop();
      }
    });
  });
}
