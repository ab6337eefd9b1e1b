import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import type { Pool } from 'pg';
import { KafkaTopics } from '../kafka/kafka.module';
import { PG_POOL } from '../tokens';
import { ReadinessChecks } from './readiness';

/** `GET /health` is liveness (the process serves HTTP); `GET /health/ready` checks its dependencies. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly kafka: KafkaTopics,
    private readonly parts: ReadinessChecks,
  ) {}

  @Get()
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.check('process').up({ pid: process.pid })]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () =>
        this.indicators
          .check('postgres')
          .attempt(async () => {
            await this.pool.query('SELECT 1');
          })
          .withTimeout(3_000),
      () =>
        this.indicators
          .check('kafka')
          .attempt(async () => {
            await this.kafka.ping(3_000);
            if (!this.kafka.topicsReady) {
              throw new Error(`topics not created yet: ${this.kafka.lastFailure ?? 'pending'}`);
            }
          })
          .withTimeout(4_000),
      ...this.parts.entries().map(([name, check]) => () => {
        const { status, detail } = check();
        const indicator = this.indicators.check(name);
        return status === 'up' ? indicator.up(detail) : status === 'degraded' ? indicator.degraded(detail) : indicator.down(detail);
      }),
    ]);
  }
}
