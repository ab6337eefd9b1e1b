import { Module, ValidationPipe, type DynamicModule, type INestApplication } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig } from './config/app.config';
import { DatabaseModule } from './database/database.module';
import { HealthController } from './health/health.controller';
import { KafkaSubscriber } from './kafka/kafka-subscriber.service';
import { EventSink } from './sync/event-sink';
import { UsersController } from './users/users.controller';
import { WebhooksController } from './webhooks/webhooks.controller';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [DatabaseModule.forRoot(config)],
      controllers: [WebhooksController, UsersController, HealthController],
      providers: [
        { provide: AppConfig, useValue: config },
        // Every query string and body is validated at the boundary; unknown fields are refused.
        { provide: APP_PIPE, useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }) },
        EventSink,
        KafkaSubscriber,
      ],
    };
  }
}

/** The app, listening. `rawBody` keeps the request bytes: webhook signatures are over them. */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const levels = (['error', 'warn', 'log', 'debug'] as const).slice(0, ['error', 'warn', 'log', 'debug'].indexOf(config.LOG_LEVEL) + 1);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { rawBody: true, logger: [...levels] });
  // Also accept `application/*+json` (e.g. application/cloudevents+json) as JSON.
  app.useBodyParser('json', { type: ['application/json', 'application/*+json'], limit: '1mb' });
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  return app;
}
