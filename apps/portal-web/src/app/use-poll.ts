import { useCallback, useEffect, useRef, useState } from 'react';

export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  /** True until the first answer (or error) for the current key. */
  readonly loading: boolean;
  readonly reload: () => void;
}

/**
 * Loads `load()` now and every `intervalMs` (0: once), one request at a time, keeping the last answer
 * while the next is on its way (no flicker). A new `key` starts over; `retryMs` retries a failed one-shot load. Live updates are this polling:
 * the read models answer fast, and it survives proxies, sleeps and restarts without reconnect logic.
 */
export function usePoll<T>(key: string, load: () => Promise<T>, intervalMs: number, retryMs = 0): Polled<T> {
  const [state, setState] = useState<{ key: string; data: T | undefined; error: Error | undefined; loaded: boolean }>({ key, data: undefined, error: undefined, loaded: false });
  const loadRef = useRef(load);
  loadRef.current = load;
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      try {
        const data = await loadRef.current();
        if (!cancelled) setState({ key, data, error: undefined, loaded: true });
      } catch (error) {
        if (!cancelled) setState((s) => ({ key, data: s.key === key ? s.data : undefined, error: error instanceof Error ? error : new Error(String(error)), loaded: true }));
        // A one-shot load that failed tries again after `retryMs` (e.g. a service still catching up).
        if (!cancelled && intervalMs === 0 && retryMs > 0) timer = setTimeout(() => void run(), retryMs);
      }
      if (!cancelled && intervalMs > 0) timer = setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [key, intervalMs, retryMs, tick]);

  const current = state.key === key;
  return { data: current ? state.data : undefined, error: current ? state.error : undefined, loading: !current || !state.loaded, reload };
}

/** The current time, re-rendered every `intervalMs` (for "4 s ago"). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** `value`, but only after it has stayed the same for `ms` (search boxes). */
export function useDebounced<T>(value: T, ms = 250): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}
