import { Logger, Module, type DynamicModule } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { Topics } from '@scimbridge/contracts';
import { BACKGROUND_WORKERS, BackgroundWorkersHost, type BackgroundWorker, type ProjectionLogger } from '@scimbridge/messaging';
import { KAFKA_CLIENT, ManagementAccessGuard, PG_POOL, ReadinessChecks, ReadModelsModule, ServiceKitModule, type ServiceEntry } from '@scimbridge/service-kit';
import { DirectoryAccessService } from './access/directory-access.service';
import { DirectoryOverviewController } from './directory-overview/directory-overview.controller';
import { DirectoryOverviewService } from './directory-overview/directory-overview.service';
import { IngressClient } from './directory-overview/ingress.client';
import { EventLogController } from './event-log/event-log.controller';
import { EventLogQuery } from './event-log/event-log.query';
import { GroupsController } from './groups-tab/groups.controller';
import { GroupsQuery } from './groups-tab/groups.query';
import { PORTAL_QUERY_ENTITIES } from './persistence/entities';
import { PORTAL_QUERY_MIGRATIONS } from './persistence/migrations';
import { portalQueryConfig } from './portal-query.config';
import { ProjectionsController } from './projections/projections.controller';
import { ReadModelWorker, SERVICE_NAME } from './read-model/read-model.worker';
import { ReadYourWritesService } from './read-model/read-your-writes.service';
import { UsersController } from './users-tab/users.controller';
import { UsersQuery } from './users-tab/users.query';

export { SERVICE_NAME };
const READINESS = Symbol.for('scimbridge:portal-query:readiness');

const nestLogger = (context: string): ProjectionLogger => {
  const logger = new Logger(context);
  return { info: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) };
};

/** Portal query: read models and query API behind the portal's overview, Users, Groups and events tabs. */
@Module({})
export class AppModule {
  static forRoot(config: portalQueryConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ serviceName: SERVICE_NAME, config, topics: [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents] }),
        ReadModelsModule.forRoot({ entities: PORTAL_QUERY_ENTITIES, migrations: PORTAL_QUERY_MIGRATIONS }),
      ],
      controllers: [DirectoryOverviewController, UsersController, GroupsController, EventLogController, ProjectionsController],
      providers: [
        ManagementAccessGuard,
        DirectoryAccessService,
        IngressClient,
        DirectoryOverviewService,
        UsersQuery,
        GroupsQuery,
        EventLogQuery,
        ReadYourWritesService,
        {
          provide: ReadModelWorker,
          inject: [PG_POOL, KAFKA_CLIENT],
          useFactory: (pool: Pool, kafka: Kafka) => new ReadModelWorker(pool, kafka, config.READ_MODEL_GENERATION_POLL_MS, nestLogger('ReadModels')),
        },
        {
          provide: READINESS,
          inject: [ReadinessChecks, ReadModelWorker],
          useFactory: (checks: ReadinessChecks, worker: ReadModelWorker): true => {
            checks.register('read-models', () => {
              const status = worker.status;
              return { status: status.generation === null ? 'down' : 'up', detail: { ...status } };
            });
            return true;
          },
        },
        {
          provide: BACKGROUND_WORKERS,
          inject: [ReadModelWorker],
          useFactory: (worker: ReadModelWorker): BackgroundWorker[] => [worker],
        },
        BackgroundWorkersHost,
      ],
    };
  }
}

export const portalQueryEntry: ServiceEntry<portalQueryConfig> = {
  serviceName: SERVICE_NAME,
  configClass: portalQueryConfig,
  module: (config) => AppModule.forRoot(config),
};
