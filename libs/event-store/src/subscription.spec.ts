import { EventEmitter } from 'node:events';
import type { GlobalPosition, RecordedEvent } from './event-store.port';
import { pollingSubscription } from './subscription';

/**
 * The polling loop's drain(): read now, keep reading while batches come back full, resolve once a read
 * that began after the call came back short and its events were handled. The "store" here is an array
 * the test appends to (this is the loop's own logic; the PostgreSQL store is tested on a real server).
 */

function eventAt(n: number): RecordedEvent {
  return {
    id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    type: 'Counted',
    schemaVersion: 1,
    data: { n },
    metadata: {},
    streamId: 's',
    streamVersion: n,
    position: { transactionId: 1n, sequence: BigInt(n) },
    recordedAt: new Date(0),
  };
}

function harness() {
  const stored: RecordedEvent[] = [];
  const handled: number[] = [];
  const reads: number[] = [];
  const subscription = pollingSubscription({
    read: async (after: GlobalPosition, limit: number) => {
      reads.push(Number(after.sequence));
      return stored.filter((e) => e.position.sequence > after.sequence).slice(0, limit);
    },
    handler: async (events) => {
      handled.push(...events.map((e) => (e.data as { n: number }).n));
    },
    after: { transactionId: 0n, sequence: 0n },
    batchSize: 3,
    pollIntervalMs: 60_000,
  });
  return { stored, handled, reads, subscription };
}

it('handles everything stored before drain() at once, in full batches and a short last one', async () => {
  const { stored, handled, reads, subscription } = harness();
  await new Promise((r) => setTimeout(r, 20)); // the first read (empty) is done; it now sleeps a minute
  for (let n = 1; n <= 7; n += 1) stored.push(eventAt(n));
  await subscription.drain();
  expect(handled).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(reads).toEqual([0, 0, 3, 6]);
  await subscription.drain(); // nothing new: one short read
  expect(reads).toEqual([0, 0, 3, 6, 7]);
  await subscription.stop();
});

it('refuses drain() once stopped, and fails a pending one if the handler fails', async () => {
  const { subscription } = harness();
  await subscription.stop();
  await expect(subscription.drain()).rejects.toThrow(/stopped/);

  const failing = pollingSubscription({
    read: async () => [eventAt(1)],
    handler: async () => {
      throw new Error('handler broke');
    },
    after: { transactionId: 0n, sequence: 0n },
    batchSize: 3,
    pollIntervalMs: 60_000,
  });
  const drained = failing.drain();
  await expect(failing.done).rejects.toThrow('handler broke');
  await expect(drained).rejects.toThrow(/stopped before it caught up/);
});

it('fails a drain() that a read or the handler then fails on (it would otherwise never settle)', async () => {
  for (const breaks of ['read', 'handler'] as const) {
    let armed = false;
    const subscription = pollingSubscription({
      read: async () => {
        if (armed && breaks === 'read') throw new Error('read broke');
        return armed ? [eventAt(1)] : [];
      },
      handler: async () => {
        throw new Error('handler broke');
      },
      after: { transactionId: 0n, sequence: 0n },
      batchSize: 3,
      pollIntervalMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 20)); // the first read (empty) is done; it sleeps
    armed = true;
    const drained = subscription.drain(); // served by the next read, which fails
    await expect(subscription.done).rejects.toThrow(`${breaks} broke`);
    await expect(drained).rejects.toThrow(/stopped before it caught up/);
  }
});

describe('coalescing', () => {
  function wakeable(coalesce: { coalesceMs: number; coalesceAbovePerSecond?: number }, handlerMs = 0) {
    const wakeUps = new EventEmitter();
    const stored: RecordedEvent[] = [];
    const handled: { n: number; at: number }[] = [];
    const subscription = pollingSubscription({
      read: async (after: GlobalPosition, limit: number) => stored.filter((e) => e.position.sequence > after.sequence).slice(0, limit),
      handler: async (events) => {
        if (handlerMs > 0) await new Promise((r) => setTimeout(r, handlerMs));
        for (const e of events) handled.push({ n: (e.data as { n: number }).n, at: performance.now() });
      },
      after: { transactionId: 0n, sequence: 0n },
      batchSize: 100,
      pollIntervalMs: 60_000,
      wakeUps,
      ...coalesce,
    });
    const append = (n: number): number => {
      stored.push(eventAt(n));
      wakeUps.emit('appended');
      return performance.now();
    };
    return { append, handled, subscription };
  }
  const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('waits coalesceMs after a wake-up when always coalescing', async () => {
    const { append, handled, subscription } = wakeable({ coalesceMs: 300 });
    await settle(20);
    const at = append(1);
    await settle(600);
    expect(handled.map((h) => h.n)).toEqual([1]);
    expect((handled[0] as { at: number }).at - at).toBeGreaterThanOrEqual(250);
    await subscription.stop();
  });

  it('reads at once below coalesceAbovePerSecond, and coalesces above it', async () => {
    const { append, handled, subscription } = wakeable({ coalesceMs: 300, coalesceAbovePerSecond: 5 });
    await settle(20);
    const at = append(1);
    await settle(100);
    expect(handled.map((h) => h.n)).toEqual([1]);
    expect((handled[0] as { at: number }).at - at).toBeLessThan(100);
    // Ten more events read within the second: 11/s, above twice the threshold → the full 300 ms.
    for (let n = 2; n <= 11; n += 1) append(n);
    await settle(50);
    const busyAt = append(12);
    await settle(600);
    const twelfth = handled.find((h) => h.n === 12) as { at: number };
    expect(twelfth.at - busyAt).toBeGreaterThanOrEqual(250);
    await subscription.stop();
  });

  it('reads again right after the handler when an append came while it ran (no sleep until the poll)', async () => {
    const { append, handled, subscription } = wakeable({ coalesceMs: 0 }, 100);
    await settle(20);
    append(1);
    await settle(30); // the handler of event 1 is running
    const at = append(2);
    await settle(400);
    expect(handled.map((h) => h.n)).toEqual([1, 2]);
    expect((handled[1] as { at: number }).at - at).toBeLessThan(300);
    await subscription.stop();
  });
});
