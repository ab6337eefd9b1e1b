import type { EventEmitter } from 'node:events';
import type { GlobalPosition, RecordedEvent, Subscription } from './event-store.port';

export interface PollingSubscriptionOptions {
  readonly read: (after: GlobalPosition, limit: number) => Promise<RecordedEvent[]>;
  readonly handler: (events: readonly RecordedEvent[]) => Promise<void>;
  readonly after: GlobalPosition;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  /** Emits 'appended' when this process appended: read again at once instead of waiting. */
  readonly wakeUps?: EventEmitter;
  /**
   * After a wake-up, wait this long before reading (default 0), so appends arriving one by one are
   * read — and handled, e.g. published — as one batch instead of one round trip each.
   */
  readonly coalesceMs?: number;
  /**
   * Coalesce only under load: below this many events read per second (over the last second) a wake-up
   * reads at once; from there the wait grows linearly to the full `coalesceMs` at twice this rate.
   * Unset: every wake-up waits `coalesceMs`.
   */
  readonly coalesceAbovePerSecond?: number;
}

/** The window over which the event rate for adaptive coalescing is counted. */
const RATE_WINDOW_MS = 1_000;

/**
 * Reads batch after batch in global order and hands each to the handler before reading on. A full
 * batch is followed at once by the next read; an empty one waits for a wake-up or the poll interval.
 */
export function pollingSubscription(options: PollingSubscriptionOptions): Subscription {
  let stopped = false;
  let wake: (() => void) | undefined;
  const coalesceMs = options.coalesceMs ?? 0;
  const coalesceAbove = options.coalesceAbovePerSecond;
  let coalescing: NodeJS.Timeout | undefined;
  /** A wake-up came while the loop was reading or handling: it must not sleep on it (the append may be after that read). */
  let wokenWhileBusy = false;
  /** (time, events) of the reads of the last RATE_WINDOW_MS, for adaptive coalescing. */
  const recentReads: { at: number; events: number }[] = [];
  let recentEvents = 0;
  const forgetOldReads = (now: number): void => {
    while ((recentReads[0]?.at ?? now) < now - RATE_WINDOW_MS) recentEvents -= (recentReads.shift() as { events: number }).events;
  };
  const noteRead = (events: number): void => {
    if (coalesceAbove === undefined || events === 0) return;
    const now = Date.now();
    recentReads.push({ at: now, events });
    recentEvents += events;
    forgetOldReads(now);
  };
  const gatherMs = (): number => {
    if (coalesceMs <= 0 || coalesceAbove === undefined) return coalesceMs;
    forgetOldReads(Date.now());
    const perSecond = (recentEvents * 1_000) / RATE_WINDOW_MS;
    return Math.round(coalesceMs * Math.min(1, Math.max(0, (perSecond - coalesceAbove) / coalesceAbove)));
  };
  const onAppended = (): void => {
    if (wake === undefined) {
      wokenWhileBusy = true;
      return;
    }
    if (coalescing !== undefined) return;
    const delay = gatherMs();
    if (delay <= 0) return wake();
    const wakeLater = wake;
    coalescing = setTimeout(() => {
      coalescing = undefined;
      wakeLater();
    }, delay);
  };
  options.wakeUps?.on('appended', onAppended);

  const sleep = (): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, options.pollIntervalMs);
      function done(): void {
        clearTimeout(timer);
        clearTimeout(coalescing);
        coalescing = undefined;
        wake = undefined;
        resolve();
      }
      wake = done;
      // Appended while the last read or its handler ran: that read may have missed it, so treat it as
      // a wake-up now rather than sleep until the next append or poll.
      if (wokenWhileBusy) {
        wokenWhileBusy = false;
        onAppended();
      }
    });

  /** drain() calls not yet served by a read that started after them. */
  let drainRequests: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let finished = false;

  const loop = async (): Promise<void> => {
    let position = options.after;
    /** The drain() calls the current turn serves (failed with the rest if the turn fails). */
    let serving: typeof drainRequests = [];
    try {
      while (!stopped) {
        // A read that starts now sees everything stored before these drain() calls.
        serving = drainRequests;
        drainRequests = [];
        wokenWhileBusy = false;
        const events = await options.read(position, options.batchSize);
        noteRead(events.length);
        if (stopped) break;
        if (events.length > 0) {
          await options.handler(events);
          position = (events[events.length - 1] as RecordedEvent).position;
        }
        if (events.length < options.batchSize) {
          for (const request of serving.splice(0)) request.resolve();
          if (!stopped && drainRequests.length === 0) await sleep();
        } else {
          drainRequests.push(...serving.splice(0));
        }
      }
    } finally {
      finished = true;
      options.wakeUps?.off('appended', onAppended);
      for (const request of [...serving, ...drainRequests.splice(0)]) request.reject(new Error('the subscription stopped before it caught up'));
    }
  };

  const done = loop();
  return {
    done,
    stop: async () => {
      stopped = true;
      wake?.();
      await done.catch(() => undefined);
    },
    drain: () =>
      new Promise<void>((resolve, reject) => {
        if (stopped || finished) return reject(new Error('the subscription has stopped'));
        drainRequests.push({ resolve, reject });
        wake?.();
      }),
  };
}
