/*
 * When to retry a failed delivery: exponential steps (configurable) with full jitter, and a floor that
 * keeps the last retry at least `minSpanMs` after the first attempt.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `5s,30s,2m,1h` → [5000, 30000, 120000, 3600000]; [] when anything is malformed. */
export function parseRetrySchedule(text: string): number[] {
  const steps: number[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)(ms|s|m|h)\s*$/.exec(part);
    if (!match) return [];
    steps.push(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
  }
  return steps;
}

export interface RetryPolicy {
  /** Upper bound of the wait before retry n (index 0 = the first retry). */
  readonly steps: readonly number[];
  readonly minSpanMs: number;
}

export type RetryDecision = { readonly kind: 'retry'; readonly at: Date } | { readonly kind: 'dead' };

/**
 * After `failedAttempts` failures in a row (≥ 1) of a delivery first tried at `firstAttemptAt`:
 * when to try again, or dead once every step is used. `random` ∈ [0, 1) is injected so the policy is
 * pure (tests pin it).
 */
export function nextRetry(policy: RetryPolicy, failedAttempts: number, firstAttemptAt: Date, now: Date, random: number): RetryDecision {
  const index = failedAttempts - 1;
  if (index < 0 || index >= policy.steps.length) return { kind: 'dead' };
  const cap = policy.steps[index] as number;
  // Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform in [0, cap], which
  // spreads a burst of failures of one receiver instead of retrying them in lock-step.
  let at = now.getTime() + Math.floor(random * cap);
  if (index === policy.steps.length - 1) at = Math.max(at, firstAttemptAt.getTime() + policy.minSpanMs);
  return { kind: 'retry', at: new Date(at) };
}
