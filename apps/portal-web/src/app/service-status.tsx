import { useEffect, useState } from 'react';
import { BACKEND_SERVICES, type BackendService } from './providers';

export type ServiceState = 'checking' | 'ready' | 'not ready' | 'unreachable';

export type FetchLike = (url: string) => Promise<{ status: number }>;

/** Asks each backend's readiness endpoint (through the portal's proxy) and shows the answer. */
export function useServiceStates(fetcher: FetchLike, intervalMs = 5_000): Record<BackendService, ServiceState> {
  const [states, setStates] = useState<Record<BackendService, ServiceState>>(
    () => Object.fromEntries(BACKEND_SERVICES.map((s) => [s, 'checking'])) as Record<BackendService, ServiceState>,
  );
  useEffect(() => {
    let cancelled = false;
    const check = async (): Promise<void> => {
      const entries = await Promise.all(
        BACKEND_SERVICES.map(async (service): Promise<[BackendService, ServiceState]> => {
          try {
            const response = await fetcher(`/status/${service}`);
            return [service, response.status === 200 ? 'ready' : 'not ready'];
          } catch {
            return [service, 'unreachable'];
          }
        }),
      );
      if (!cancelled) setStates(Object.fromEntries(entries) as Record<BackendService, ServiceState>);
    };
    void check();
    const timer = setInterval(() => void check(), intervalMs);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [fetcher, intervalMs]);
  return states;
}

export function ServiceStatusList({ states }: { states: Record<BackendService, ServiceState> }) {
  return (
    <ul className="service-status" aria-label="Service status">
      {BACKEND_SERVICES.map((service) => (
        <li key={service} data-service={service} data-state={states[service]}>
          <span className="service-name">{service}</span>: <span className="service-state">{states[service]}</span>
        </li>
      ))}
    </ul>
  );
}
