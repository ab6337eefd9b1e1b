import { ConcurrencyError } from '@scimbridge/event-store';
import { ScimError } from '@scimbridge/scim';

/** Transient database conflicts worth another try: our own version check, deadlocks, serialization failures. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 8;

export function isRetryableConflict(error: unknown): boolean {
  return error instanceof ConcurrencyError || RETRYABLE_SQLSTATES.has(String((error as { code?: unknown } | null)?.code));
}

/**
 * Runs `attempt` (one whole transaction) again while it fails on a transient conflict, with a short
 * random pause that grows per attempt. Still conflicting after every attempt: a 503 tells the IdP to
 * send the request again later (it would treat a 500 as a failure of ours); nothing was written.
 */
export async function retryingConflicts<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryableConflict(error)) throw error;
      if (n >= MAX_ATTEMPTS) throw new ScimError(503, undefined, 'too many concurrent changes to this resource; retry the request');
      await new Promise((r) => setTimeout(r, Math.random() * 5 * n));
    }
  }
}
