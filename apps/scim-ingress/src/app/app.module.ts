import { extname, join } from 'node:path';
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import type { Pool } from 'pg';
import { Topics } from '@scimbridge/contracts';
import { PostgresEventStore } from '@scimbridge/event-store';
import { BACKGROUND_WORKERS, BackgroundWorkersHost, ThreadedWorker, type BackgroundWorker } from '@scimbridge/messaging';
import { ManagementAccessGuard, PG_POOL, ReadinessChecks, schemaFor, ServiceKitModule, type ServiceEntry } from '@scimbridge/service-kit';
import { configureIngressHttp, ingressHttpAdapter } from './http/ingress-http';
import { ScimGateway } from './http/scim-gateway';
import { TokenGrantCache } from './http/token-grant-cache';
import { DirectoryService } from './management/directory.service';
import { DirectoryDeletions } from './jobs/directory-deletions';
import { DirectoryResyncs } from './jobs/directory-resyncs';
import { ResyncsRepository } from './persistence/resyncs.repository';
import { RELAY_DEAD_LETTER_TOPIC, type DirectoryEventsRelayData } from './relay/directory-events.relay';
import { PortalLinksController, PortalSessionsController } from './portal/portal.controller';
import { PortalLinksService } from './portal/portal-links.service';
import { ManagementController } from './management/management.controller';
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
const STATE_WORKER = Symbol.for('scimbridge:scim-ingress:state-worker');
const RELAY_WORKER = Symbol.for('scimbridge:scim-ingress:relay-worker');
const RELAY_READINESS = Symbol.for('scimbridge:scim-ingress:relay-readiness');

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
      controllers: [ManagementController, PortalLinksController, PortalSessionsController, ScimController],
      providers: [
        ManagementAccessGuard,
        PortalLinksService,
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
        { provide: ResyncsRepository, inject: [PG_POOL], useFactory: (pool: Pool) => new ResyncsRepository(pool) },
        {
          provide: DirectoryDeletions,
          inject: [PG_POOL, PostgresEventStore, DirectoriesRepository, ResourcesRepository, ResyncsRepository, DirectoryService],
          useFactory: (pool: Pool, store: PostgresEventStore, directories: DirectoriesRepository, resources: ResourcesRepository, resyncs: ResyncsRepository, service: DirectoryService) => {
            const logger = new Logger('DirectoryDeletions');
            return new DirectoryDeletions(store, directories, resources, resyncs, service, {
              graceMs: config.DIRECTORY_DELETION_GRACE_MS,
              chunk: config.DIRECTORY_JOB_CHUNK_SIZE,
              pool,
              sweepMs: config.DIRECTORY_JOB_SWEEP_MS,
              logger: { log: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m) },
            });
          },
        },
        {
          provide: DirectoryResyncs,
          inject: [PG_POOL, PostgresEventStore, DirectoriesRepository, ResyncsRepository],
          useFactory: (pool: Pool, store: PostgresEventStore, directories: DirectoriesRepository, resyncs: ResyncsRepository) => {
            const logger = new Logger('DirectoryResyncs');
            return new DirectoryResyncs(store, directories, resyncs, {
              chunk: config.DIRECTORY_JOB_CHUNK_SIZE,
              pool,
              sweepMs: config.DIRECTORY_JOB_SWEEP_MS,
              logger: { log: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m) },
            });
          },
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
          // The relay runs in its own thread: its Kafka encoding and event reads cost a quarter of the
          // user-create throughput on the HTTP thread (docs/benchmarks.md).
          provide: RELAY_WORKER,
          inject: [PostgresEventStore],
          useFactory: (store: PostgresEventStore) => {
            const logger = new Logger('OutboxRelay');
            return new ThreadedWorker<DirectoryEventsRelayData>({
              workerName: `outbox-relay ${SERVICE_NAME}.directory-events`,
              module: join(__dirname, `relay/directory-events.relay${extname(__filename)}`),
              data: { serviceName: SERVICE_NAME, databaseUrl: config.DATABASE_URL, kafkaBrokers: config.KAFKA_BROKERS, logLevel: config.LOG_LEVEL },
              logger: { info: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
              wakeUps: (wake) => store.onAppended(wake),
            });
          },
        },
        {
          // /health/ready shows the relay thread, with how often it died and why: `degraded` while it is
          // dead and being started again — the ingress stays ready, as SCIM writes still commit and their
          // events wait in the store (a relay crashing on every replica must not stop provisioning).
          provide: RELAY_READINESS,
          inject: [ReadinessChecks, RELAY_WORKER],
          useFactory: (checks: ReadinessChecks, relay: ThreadedWorker<DirectoryEventsRelayData>): true => {
            checks.register('relay', () => {
              const status = relay.status();
              return { status: status.state === 'running' ? 'up' : status.state === 'restarting' ? 'degraded' : 'down', detail: { ...status } };
            });
            return true;
          },
        },
        {
          provide: BACKGROUND_WORKERS,
          inject: [STATE_WORKER, RELAY_WORKER, DirectoryDeletions, DirectoryResyncs],
          // Deletions and resyncs after the state worker: they resume on start, once the tables are migrated.
          useFactory: (state: BackgroundWorker, relay: BackgroundWorker, deletions: BackgroundWorker, resyncs: BackgroundWorker): BackgroundWorker[] => [
            state,
            relay,
            deletions,
            resyncs,
          ],
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
