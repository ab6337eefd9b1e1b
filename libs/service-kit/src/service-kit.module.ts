import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { HealthController } from './health/health.controller';
import { ReadinessChecks } from './health/readiness';
import { KafkaModule } from './kafka/kafka.module';
import { loggerParams } from './logging/logging';
import { PostgresModule } from './postgres/postgres.module';
import type { ServiceOptions } from './service-options';
import { SERVICE_CONFIG, SERVICE_OPTIONS } from './tokens';

/**
 * What every scimbridge service has: validated config, JSON logs, a PostgreSQL pool on its own schema,
 * a Kafka client with its topics created, and /health + /health/ready.
 */
@Module({})
export class ServiceKitModule {
  static forRoot(options: ServiceOptions): DynamicModule {
    return {
      module: ServiceKitModule,
      global: true,
      imports: [LoggerModule.forRoot(loggerParams(options)), TerminusModule, PostgresModule, KafkaModule],
      controllers: [HealthController],
      providers: [
        { provide: SERVICE_OPTIONS, useValue: options },
        { provide: SERVICE_CONFIG, useValue: options.config },
        ReadinessChecks,
      ],
      exports: [SERVICE_OPTIONS, SERVICE_CONFIG, ReadinessChecks, PostgresModule, KafkaModule],
    };
  }
}
