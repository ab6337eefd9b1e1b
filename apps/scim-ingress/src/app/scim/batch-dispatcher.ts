export interface BatchLimits {
  /** Items per batch. */
  readonly maxBatch: number;
  /** Batches in flight at once; further items wait for one to finish and then go together. */
  readonly maxInFlight: number;
  /**
   * A batch still running after this long stops holding its slot, so the items behind it go ahead (a
   * batch waiting on another transaction's lock must not hold up every directory's writes).
   */
  readonly stallMs: number;
}

/**
 * The dispatch half of group commit, shared by the create and the group-update batchers: an item goes
 * to PostgreSQL at once while fewer than `maxInFlight` batches are running — a single IdP writing
 * serially waits for nothing — and the items that arrive while a batch runs go together as the next
 * one. Subclasses write a batch in `commit` and call `release` as soon as PostgreSQL has answered,
 * BEFORE answering the batch's requests: their continuations (response, socket write: ~0.2 ms each)
 * would otherwise all run before the next batch is even sent, leaving PostgreSQL idle.
 *
 * Written here rather than with DataLoader: that library batches keyed reads per tick (with a cache);
 * this needs dispatch gated on batches in flight and per-item answers, which would be the same code
 * around it.
 */
export abstract class BatchDispatcher<Item> {
  private readonly queue: Item[] = [];
  private inFlight = 0;

  protected constructor(private readonly limits: BatchLimits) {}

  protected enqueue(item: Item): void {
    this.queue.push(item);
    this.dispatch();
  }

  /** Writes one batch; `release` frees its slot (idempotent; called again when `commit` settles). */
  protected abstract commit(batch: readonly Item[], release: () => void): Promise<void>;

  private dispatch(): void {
    while (this.inFlight < this.limits.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.limits.maxBatch);
      this.inFlight += 1;
      let holdsSlot = true;
      const release = (): void => {
        if (!holdsSlot) return;
        holdsSlot = false;
        clearTimeout(stalled);
        this.inFlight -= 1;
        this.dispatch();
      };
      const stalled = setTimeout(release, this.limits.stallMs);
      void this.commit(batch, release).finally(release);
    }
  }
}
