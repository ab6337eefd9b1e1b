import { Logger, Module, type DynamicModule } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { Topics } from '@scimbridge/contracts';
import { OutboxRelay, PostgresEventStore, type RecordedEvent, type RelayMessage } from '@scimbridge/event-store';
import { BACKGROUND_WORKERS, BackgroundWorkersHost, contractsMessageMapper, type BackgroundWorker } from '@scimbridge/messaging';
import { KAFKA_CLIENT, PG_POOL, schemaFor, ServiceKitModule, type ServiceEntry } from '@scimbridge/service-kit';
import { configureIngressHttp, ingressHttpAdapter } from './http/ingress-http';
import { ScimGateway } from './http/scim-gateway';
import { TokenGrantCache } from './http/token-grant-cache';
import { DirectoryService, ORGANIZATION_CREATED } from './management/directory.service';
import { ManagementController, ManagementKeyGuard } from './management/management.controller';
import { DirectoriesRepository } from './persistence/directories.repository';
import { migrateIngressSchema } from './persistence/ingress.schema';
import { RequestLog } from './persistence/request-log';
import { ResourcesRepository } from './persistence/resources.repository';
import { scimIngressConfig } from './scim-ingress.config';
import { ScimController } from './scim/scim.controller';
import { ScimReadsService } from './scim/scim-reads.service';
import { ScimWritesService } from './scim/scim-writes.service';

const SERVICE_NAME = 'scim-ingress';
const SCHEMA = schemaFor(SERVICE_NAME);
/** Stored events that cannot become a valid public message land here, with the reason (never dropped). */
export const RELAY_DEAD_LETTER_TOPIC = 'scim-ingress.relay.dlq';
/** Events reach Kafka at most this much later, in fewer and larger produce requests. */
const RELAY_COALESCE_MS = 10;
const STATE_WORKER = Symbol.for('scimbridge:scim-ingress:state-worker');

/** Public events go to their topic; the ingress-private organization events stay in its store. */
export function ingressMessageMapper(): (event: RecordedEvent) => RelayMessage | null {
  const publicMapper = contractsMessageMapper(SERVICE_NAME);
  return (event) => (event.type === ORGANIZATION_CREATED ? null : publicMapper(event));
}

/** Tables first (event store, SCIM state, request log), then the request log's writer. */
class IngressStateWorker implements BackgroundWorker {
  readonly workerName = 'scim-ingress state';

  constructor(
    private readonly pool: Pool,
    private readonly store: PostgresEventStore,
    private readonly requestLog: RequestLog,
  ) {}

  async migrate(): Promise<void> {
    await this.store.migrate();
    await migrateIngressSchema(this.pool, SCHEMA);
  }

  start(): void {
    this.requestLog.start();
  }

  stop(): Promise<void> {
    return this.requestLog.stop();
  }
}

/** SCIM ingress: what OneLogin and the other IdPs talk to; appends directory events. */
@Module({})
export class AppModule {
  static forRoot(config: scimIngressConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceKitModule.forRoot({ serviceName: SERVICE_NAME, config, topics: [Topics.directoryEvents, RELAY_DEAD_LETTER_TOPIC] })],
      controllers: [ManagementController, ScimController],
      providers: [
        ManagementKeyGuard,
        { provide: TokenGrantCache, useFactory: () => new TokenGrantCache(config.SCIM_AUTH_CACHE_MS) },
        { provide: PostgresEventStore, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresEventStore(pool, { schema: SCHEMA }) },
        { provide: ResourcesRepository, inject: [PG_POOL], useFactory: (pool: Pool) => new ResourcesRepository(pool) },
        { provide: DirectoriesRepository, inject: [PG_POOL], useFactory: (pool: Pool) => new DirectoriesRepository(pool) },
        {
          provide: RequestLog,
          inject: [PG_POOL],
          useFactory: (pool: Pool) =>
            new RequestLog(pool, { days: config.REQUEST_LOG_RETENTION_DAYS, maxPerDirectory: config.REQUEST_LOG_MAX_PER_DIRECTORY }, (m) =>
              new Logger('RequestLog').warn(m),
            ),
        },
        {
          provide: ScimWritesService,
          inject: [PostgresEventStore, ResourcesRepository],
          useFactory: (store: PostgresEventStore, resources: ResourcesRepository) => new ScimWritesService(store, resources),
        },
        {
          provide: ScimReadsService,
          inject: [ResourcesRepository],
          useFactory: (resources: ResourcesRepository) => new ScimReadsService(resources, config.SCIM_MAX_PAGE_SIZE),
        },
        {
          provide: DirectoryService,
          inject: [PostgresEventStore, DirectoriesRepository, TokenGrantCache],
          useFactory: (store: PostgresEventStore, directories: DirectoriesRepository, grants: TokenGrantCache) => new DirectoryService(store, directories, grants),
        },
        {
          provide: ScimGateway,
          inject: [DirectoriesRepository, RequestLog, TokenGrantCache],
          useFactory: (directories: DirectoriesRepository, requestLog: RequestLog, grants: TokenGrantCache) =>
            new ScimGateway(directories, requestLog, grants, {
              publicUrl: config.PUBLIC_URL,
              maxBodyBytes: config.SCIM_MAX_BODY_BYTES,
              ratePerSecond: config.SCIM_RATE_LIMIT_PER_SECOND,
              burst: config.SCIM_RATE_LIMIT_BURST,
              authFailuresPerMinute: config.SCIM_AUTH_FAILURES_PER_MINUTE,
            }),
        },
        {
          provide: STATE_WORKER,
          inject: [PG_POOL, PostgresEventStore, RequestLog],
          useFactory: (pool: Pool, store: PostgresEventStore, requestLog: RequestLog) => new IngressStateWorker(pool, store, requestLog),
        },
        {
          provide: OutboxRelay,
          inject: [PG_POOL, PostgresEventStore, KAFKA_CLIENT],
          useFactory: (pool: Pool, store: PostgresEventStore, kafka: Kafka) => {
            const logger = new Logger('OutboxRelay');
            return new OutboxRelay({
              name: `${SERVICE_NAME}.directory-events`,
              pool,
              schema: SCHEMA,
              store,
              kafka,
              toMessage: ingressMessageMapper(),
              deadLetterTopic: RELAY_DEAD_LETTER_TOPIC,
              // An IdP writing serially produces one event per request; batching them for 10 ms took the
              // broker from 0.30 to 0.21–0.23 cores at 160–220 serial creates/s (docs/benchmarks.md).
              coalesceMs: RELAY_COALESCE_MS,
              logger: { info: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
            });
          },
        },
        {
          provide: BACKGROUND_WORKERS,
          inject: [STATE_WORKER, OutboxRelay],
          useFactory: (state: BackgroundWorker, relay: OutboxRelay): BackgroundWorker[] => [state, relay],
        },
        BackgroundWorkersHost,
      ],
    };
  }
}

export const scimIngressEntry: ServiceEntry<scimIngressConfig> = {
  serviceName: SERVICE_NAME,
  configClass: scimIngressConfig,
  module: (config) => AppModule.forRoot(config),
  httpAdapter: ingressHttpAdapter,
  nestOptions: { bodyParser: false },
  configure: configureIngressHttp,
};
