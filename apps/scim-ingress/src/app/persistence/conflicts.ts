import { ConcurrencyError } from '@scimbridge/event-store';

/** Transient database conflicts worth another try: our own version check, deadlocks, serialization failures. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

export function isRetryableConflict(error: unknown): boolean {
  return error instanceof ConcurrencyError || RETRYABLE_SQLSTATES.has(String((error as { code?: unknown } | null)?.code));
}

export interface RetryOptions {
  /** Attempts in all (default 8). */
  readonly attempts?: number;
  /** What to throw when the last attempt still conflicted (default: that conflict). */
  readonly exhausted?: (error: unknown) => unknown;
}

/**
 * Runs `work` (one whole transaction) again while it fails on a transient conflict — it lost a race with
 * another writer — with a short random pause that grows per attempt. Any other error is thrown at once.
 */
export async function retryConflicts<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isRetryableConflict(error)) throw error;
      if (attempt >= attempts) throw options.exhausted ? options.exhausted(error) : error;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}
