import { Controller, Get, Header, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import { ManagementAccessGuard } from '@scimbridge/service-kit';
import type { ProjectionLag } from '@scimbridge/messaging';
import { ReadModelWorker } from '../read-model/read-model.worker';

/**
 * Consumer lag of the read models: JSON for operators (`/api/v1/projections/lag`, management key) and
 * a Prometheus gauge (`/metrics`, like /health unauthenticated: counts only, no directory data).
 *
 * The exposition is written here rather than with prom-client: two gauges computed at scrape time from
 * ProjectionRunner.lag() need none of a client library's registry or aggregation, and adding a
 * dependency to the shared lockfile was not worth it for that.
 */
@Controller()
export class ProjectionsController {
  constructor(private readonly worker: ReadModelWorker) {}

  @Get('api/v1/projections/lag')
  @UseGuards(ManagementAccessGuard)
  async lag(): Promise<ProjectionLag & { generation: number; applied: number; skipped: number; deadLettered: number }> {
    const status = this.worker.status;
    return { ...(await this.currentLag()), applied: status.applied, skipped: status.skipped, deadLettered: status.deadLettered };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    const lag = await this.currentLag();
    const status = this.worker.status;
    const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const lines = [
      '# HELP portal_query_projection_lag_messages Messages published but not yet applied to the read models, per partition.',
      '# TYPE portal_query_projection_lag_messages gauge',
      ...lag.partitions.map((p) => `portal_query_projection_lag_messages{topic="${label(p.topic)}",partition="${p.partition}"} ${p.lag}`),
      '# HELP portal_query_projection_lag_total Messages not yet applied, all partitions.',
      '# TYPE portal_query_projection_lag_total gauge',
      `portal_query_projection_lag_total ${lag.total}`,
      '# HELP portal_query_read_model_generation The read-model generation queries are answered from.',
      '# TYPE portal_query_read_model_generation gauge',
      `portal_query_read_model_generation ${lag.generation}`,
      '# HELP portal_query_projection_events_total Events handled by this process since its runner of the current generation started, by outcome.',
      '# TYPE portal_query_projection_events_total counter',
      `portal_query_projection_events_total{outcome="applied"} ${status.applied}`,
      `portal_query_projection_events_total{outcome="skipped"} ${status.skipped}`,
      `portal_query_projection_events_total{outcome="dead_lettered"} ${status.deadLettered}`,
    ];
    return `${lines.join('\n')}\n`;
  }

  private async currentLag(): Promise<ProjectionLag & { generation: number }> {
    try {
      return await this.worker.lag();
    } catch (error) {
      throw new ServiceUnavailableException(`lag unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
