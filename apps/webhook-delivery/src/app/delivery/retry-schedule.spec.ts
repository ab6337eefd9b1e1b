import { nextRetry, parseRetrySchedule } from './retry-schedule';

describe('retry schedule', () => {
  it('parses durations', () => {
    expect(parseRetrySchedule('500ms, 5s,2m,1h')).toEqual([500, 5_000, 120_000, 3_600_000]);
    expect(parseRetrySchedule('5s,,2m')).toEqual([]);
    expect(parseRetrySchedule('5 minutes')).toEqual([]);
  });

  const policy = { steps: parseRetrySchedule('5s,30s,2m,10m,30m,1h,2h,4h,8h,12h'), minSpanMs: 24 * 3_600_000 };
  const first = new Date('2026-12-01T00:00:00Z');

  it('draws each wait uniformly in [0, step] (full jitter)', () => {
    const now = new Date('2026-12-01T00:00:10Z');
    expect(nextRetry(policy, 1, first, now, 0)).toEqual({ kind: 'retry', at: now });
    expect(nextRetry(policy, 1, first, now, 0.5)).toEqual({ kind: 'retry', at: new Date(now.getTime() + 2_500) });
    expect(nextRetry(policy, 3, first, now, 0.999999)).toEqual({ kind: 'retry', at: new Date(now.getTime() + 119_999) });
  });

  it('is dead once every step is used', () => {
    expect(nextRetry(policy, 11, first, first, 0.5)).toEqual({ kind: 'dead' });
    expect(nextRetry({ steps: [], minSpanMs: 0 }, 1, first, first, 0.5)).toEqual({ kind: 'dead' });
  });

  it('keeps the last retry at least the minimum span after the first attempt, however the jitter fell', () => {
    // Every draw 0: the attempts would all be at once; the last retry still waits for 24 h.
    const decision = nextRetry(policy, 10, first, new Date(first.getTime() + 60_000), 0);
    expect(decision).toEqual({ kind: 'retry', at: new Date(first.getTime() + 24 * 3_600_000) });
    // The caps alone add up to more than 24 h, so the default schedule spans it even at full draws.
    expect(policy.steps.reduce((a, b) => a + b, 0)).toBeGreaterThan(24 * 3_600_000);
  });
});
