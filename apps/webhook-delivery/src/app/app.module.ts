import { createHmac } from 'node:crypto';
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { BACKGROUND_WORKERS, BackgroundWorkersHost, ProjectionRunner, type BackgroundWorker } from '@scimbridge/messaging';
import { KAFKA_CLIENT, ManagementAccessGuard, PG_POOL, ReadinessChecks, ReadModelsModule, schemaFor, ServiceKitModule, type ServiceEntry } from '@scimbridge/service-kit';
import { DeliveryDispatcher } from './delivery/delivery-dispatcher';
import { envelopeDecoder } from './delivery/envelope.decoder';
import { parseRetrySchedule } from './delivery/retry-schedule';
import { FANOUT_TOPICS, WebhookFanoutProjection } from './delivery/webhook-fanout.projection';
import { SecretBox } from './endpoints/secret-box';
import { WebhookEndpointsController } from './endpoints/webhook-endpoints.controller';
import { DISPATCH_WAKER, SECRET_BOX, WebhookEndpointsService, type DispatchWaker } from './endpoints/webhook-endpoints.service';
import { EventsController } from './events/events.controller';
import { EventsRetentionWorker } from './events/events-retention.worker';
import { OrganizationsService } from './organizations/organizations.service';
import { WEBHOOK_DELIVERY_MIGRATIONS } from './persistence/migrations';
import { WebhookDeliveryConfig } from './webhook-delivery.config';

export const SERVICE_NAME = 'webhook-delivery';
export const SCHEMA = schemaFor(SERVICE_NAME);
const RUNNER = Symbol.for('scimbridge:webhook-delivery:runner');
const DISPATCHER = Symbol.for('scimbridge:webhook-delivery:dispatcher');
const READINESS = Symbol.for('scimbridge:webhook-delivery:readiness');

type WorkerLogger = { info(m: string): void; warn(m: string): void; error(m: string): void };

const nestLogger = (context: string): WorkerLogger => {
  const logger = new Logger(context);
  return { info: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) };
};

/**
 * The key material for sealing secrets: WEBHOOK_SECRET_KEY, or outside production a key derived from
 * the management key (documented in README; config validation makes it required in production).
 */
export function secretKeyMaterial(config: WebhookDeliveryConfig): string {
  if (config.WEBHOOK_SECRET_KEY) return config.WEBHOOK_SECRET_KEY;
  new Logger('WebhookSecrets').warn('WEBHOOK_SECRET_KEY is not set: sealing webhook secrets with a key derived from MANAGEMENT_API_KEY (development only)');
  return createHmac('sha256', config.MANAGEMENT_API_KEY).update('scimbridge/webhook-secrets/dev-key').digest('base64');
}

/** Webhook delivery: endpoints per organization, signed deliveries of every public event, the events API. */
@Module({})
export class AppModule {
  static forRoot(config: WebhookDeliveryConfig): DynamicModule {
    let dispatcher: DeliveryDispatcher | undefined;
    const wake: DispatchWaker = () => dispatcher?.wake();
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ serviceName: SERVICE_NAME, config, topics: [...FANOUT_TOPICS] }),
        ReadModelsModule.forRoot({ entities: [], migrations: WEBHOOK_DELIVERY_MIGRATIONS }),
      ],
      controllers: [WebhookEndpointsController, EventsController],
      providers: [
        ManagementAccessGuard,
        OrganizationsService,
        WebhookEndpointsService,
        { provide: SECRET_BOX, useFactory: () => new SecretBox(secretKeyMaterial(config)) },
        { provide: DISPATCH_WAKER, useValue: wake },
        {
          provide: DISPATCHER,
          inject: [PG_POOL, SECRET_BOX],
          useFactory: (pool: Pool, secrets: SecretBox) =>
            (dispatcher = new DeliveryDispatcher({
              pool,
              secrets,
              retry: { steps: parseRetrySchedule(config.WEBHOOK_RETRY_SCHEDULE), minSpanMs: config.WEBHOOK_RETRY_MIN_SPAN_MS },
              concurrency: config.WEBHOOK_CONCURRENCY,
              pollMs: config.WEBHOOK_POLL_MS,
              timeoutMs: config.WEBHOOK_TIMEOUT_MS,
              leaseMarginMs: config.WEBHOOK_LEASE_MARGIN_MS,
              allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
              userAgent: config.WEBHOOK_USER_AGENT,
              logger: nestLogger('WebhookDispatcher'),
            })),
        },
        {
          provide: RUNNER,
          inject: [PG_POOL, KAFKA_CLIENT],
          useFactory: (pool: Pool, kafka: Kafka) =>
            new ProjectionRunner({
              serviceName: SERVICE_NAME,
              pool,
              schema: SCHEMA,
              kafka,
              projection: new WebhookFanoutProjection(wake),
              decode: envelopeDecoder,
              logger: nestLogger('WebhookFanout'),
              ...(config.WEBHOOK_CONSUMER_GROUP_ID ? { consumerGroupId: config.WEBHOOK_CONSUMER_GROUP_ID } : {}),
            }),
        },
        {
          provide: READINESS,
          inject: [ReadinessChecks, DISPATCHER],
          useFactory: (checks: ReadinessChecks, d: DeliveryDispatcher): true => {
            checks.register('dispatcher', () => ({ status: d.stats.slots > 0 ? 'up' : 'down', detail: { ...d.stats } }));
            return true;
          },
        },
        {
          provide: BACKGROUND_WORKERS,
          inject: [PG_POOL, RUNNER, DISPATCHER],
          // Started in this order, stopped in reverse: the dispatcher finishes its attempts first.
          useFactory: (pool: Pool, runner: ProjectionRunner, d: DeliveryDispatcher): BackgroundWorker[] => [
            runner,
            new EventsRetentionWorker(pool, config.EVENTS_RETENTION_DAYS, config.EVENTS_PURGE_INTERVAL_MS, nestLogger('EventsRetention')),
            d,
          ],
        },
        BackgroundWorkersHost,
      ],
    };
  }
}

export const webhookDeliveryEntry: ServiceEntry<WebhookDeliveryConfig> = {
  serviceName: SERVICE_NAME,
  configClass: WebhookDeliveryConfig,
  module: (config) => AppModule.forRoot(config),
};
