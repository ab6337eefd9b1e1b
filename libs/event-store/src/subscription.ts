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
}

/**
 * Reads batch after batch in global order and hands each to the handler before reading on. A full
 * batch is followed at once by the next read; an empty one waits for a wake-up or the poll interval.
 */
export function pollingSubscription(options: PollingSubscriptionOptions): Subscription {
  let stopped = false;
  let wake: (() => void) | undefined;
  const coalesceMs = options.coalesceMs ?? 0;
  let coalescing: NodeJS.Timeout | undefined;
  const onAppended = (): void => {
    if (coalesceMs <= 0) return wake?.();
    if (wake === undefined || coalescing !== undefined) return;
    const wakeLater = wake;
    coalescing = setTimeout(() => {
      coalescing = undefined;
      wakeLater();
    }, coalesceMs);
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
        const events = await options.read(position, options.batchSize);
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
