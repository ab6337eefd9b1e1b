import { Injectable } from '@nestjs/common';

/**
 * What a readiness check reports, and what an operator should see: `up`; `degraded` — impaired, but the
 * service should keep its traffic (200, overall status "degraded"); `down` — not ready (503).
 */
export interface ReadinessReport {
  readonly status: 'up' | 'degraded' | 'down';
  readonly detail: Readonly<Record<string, string | number | boolean | null>>;
}

/**
 * Parts of a service that `/health/ready` reports beside PostgreSQL and Kafka (e.g. the ingress's relay
 * thread). A service registers a synchronous check per part; each becomes one indicator under its name,
 * `up`, `degraded` or `down` with its detail; a part that is down makes the service not ready (503).
 */
@Injectable()
export class ReadinessChecks {
  private readonly checks = new Map<string, () => ReadinessReport>();

  register(name: string, check: () => ReadinessReport): void {
    if (name === 'postgres' || name === 'kafka' || this.checks.has(name)) throw new Error(`readiness check "${name}" is already registered`);
    this.checks.set(name, check);
  }

  entries(): [string, () => ReadinessReport][] {
    return [...this.checks];
  }
}
