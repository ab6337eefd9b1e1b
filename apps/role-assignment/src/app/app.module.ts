import { Logger, Module, type DynamicModule } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { Topics } from '@scimbridge/contracts';
import { OutboxRelay, PostgresEventStore } from '@scimbridge/event-store';
import { BACKGROUND_WORKERS, BackgroundWorkersHost, contractsDecoder, ProjectionRunner, type BackgroundWorker } from '@scimbridge/messaging';
import { KAFKA_CLIENT, ManagementAccessGuard, PG_POOL, ReadinessChecks, ReadModelsModule, schemaFor, ServiceKitModule, type ServiceEntry } from '@scimbridge/service-kit';
import { RolesController } from './catalog/roles.controller';
import { RolesService } from './catalog/roles.service';
import { OrganizationsService } from './organizations/organizations.service';
import { ROLE_ASSIGNMENT_ENTITIES } from './persistence/entities';
import { ROLE_ASSIGNMENT_MIGRATIONS } from './persistence/migrations';
import { ROLE_ASSIGNMENT_RELAY_DEAD_LETTER_TOPIC, roleAssignmentMessageMapper } from './relay/role-events.relay';
import { RoleGrantProjection } from './role-grants/role-grant.projection';
import { UserRolesController } from './role-grants/user-roles.controller';
import { RoleMappingsController } from './role-mappings/role-mappings.controller';
import { RoleMappingsService } from './role-mappings/role-mappings.service';
import { roleAssignmentConfig } from './role-assignment.config';

export const SERVICE_NAME = 'role-assignment';
export const SCHEMA = schemaFor(SERVICE_NAME);
export const RELAY_NAME = `${SERVICE_NAME}.role-events`;
const RELAY = Symbol.for('scimbridge:role-assignment:relay');
const RUNNER = Symbol.for('scimbridge:role-assignment:runner');
const READINESS = Symbol.for('scimbridge:role-assignment:readiness');

/** The event store's own tables (the TypeORM read models are migrated when the DataSource starts). */
class EventStoreWorker implements BackgroundWorker {
  readonly workerName = 'role-assignment event store';
  constructor(private readonly store: PostgresEventStore) {}
  migrate(): Promise<void> {
    return this.store.migrate();
  }
  start(): void {}
  async stop(): Promise<void> {}
}

/** The relay publishing this service's events (mapping changes, role grants) from its store. */
export function roleAssignmentRelay(pool: Pool, store: PostgresEventStore, kafka: Kafka, coalesceMs: number, logger: { info(m: string): void; warn(m: string): void; error(m: string): void }): OutboxRelay {
  return new OutboxRelay({
    name: RELAY_NAME,
    pool,
    schema: SCHEMA,
    store,
    kafka,
    toMessage: roleAssignmentMessageMapper(SERVICE_NAME),
    deadLetterTopic: ROLE_ASSIGNMENT_RELAY_DEAD_LETTER_TOPIC,
    // A mapping change over a large group yields thousands of events at once: fewer, larger batches.
    batchSize: 2_000,
    coalesceMs,
    logger,
  });
}

/** The consumer that turns directory and mapping events into role events. */
export function roleGrantRunner(pool: Pool, kafka: Kafka, projection: RoleGrantProjection, logger: { info(m: string): void; warn(m: string): void; error(m: string): void }): ProjectionRunner {
  return new ProjectionRunner({ serviceName: SERVICE_NAME, pool, schema: SCHEMA, kafka, projection, decode: contractsDecoder, logger });
}

const nestLogger = (context: string): { info(m: string): void; warn(m: string): void; error(m: string): void } => {
  const logger = new Logger(context);
  return { info: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) };
};

/** Role assignment: the app's roles, group-to-role mappings, and the role events they lead to. */
@Module({})
export class AppModule {
  static forRoot(config: roleAssignmentConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          serviceName: SERVICE_NAME,
          config,
          topics: [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents, ROLE_ASSIGNMENT_RELAY_DEAD_LETTER_TOPIC],
        }),
        ReadModelsModule.forRoot({ entities: ROLE_ASSIGNMENT_ENTITIES, migrations: ROLE_ASSIGNMENT_MIGRATIONS }),
      ],
      controllers: [RolesController, RoleMappingsController, UserRolesController],
      providers: [
        ManagementAccessGuard,
        OrganizationsService,
        RolesService,
        RoleMappingsService,
        { provide: PostgresEventStore, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresEventStore(pool, { schema: SCHEMA }) },
        {
          provide: RELAY,
          inject: [PG_POOL, PostgresEventStore, KAFKA_CLIENT],
          useFactory: (pool: Pool, store: PostgresEventStore, kafka: Kafka) => roleAssignmentRelay(pool, store, kafka, config.ROLE_EVENTS_COALESCE_MS, nestLogger('OutboxRelay')),
        },
        {
          provide: RUNNER,
          inject: [PG_POOL, PostgresEventStore, KAFKA_CLIENT],
          useFactory: (pool: Pool, store: PostgresEventStore, kafka: Kafka) => roleGrantRunner(pool, kafka, new RoleGrantProjection(store), nestLogger('RoleGrants')),
        },
        {
          // The relay's leadership: `standby` is normal on all but one replica, so it never makes one unready.
          provide: READINESS,
          inject: [ReadinessChecks, RELAY],
          useFactory: (checks: ReadinessChecks, relay: OutboxRelay): true => {
            checks.register('relay', () => ({ status: relay.status.state === 'stopped' ? 'down' : 'up', detail: { ...relay.status } }));
            return true;
          },
        },
        {
          provide: BACKGROUND_WORKERS,
          inject: [PostgresEventStore, RELAY, RUNNER],
          // Started in this order and stopped in reverse: the consumer stops before the relay drains.
          useFactory: (store: PostgresEventStore, relay: OutboxRelay, runner: ProjectionRunner): BackgroundWorker[] => [new EventStoreWorker(store), relay, runner],
        },
        BackgroundWorkersHost,
      ],
    };
  }
}

export const roleAssignmentEntry: ServiceEntry<roleAssignmentConfig> = {
  serviceName: SERVICE_NAME,
  configClass: roleAssignmentConfig,
  module: (config) => AppModule.forRoot(config),
};
