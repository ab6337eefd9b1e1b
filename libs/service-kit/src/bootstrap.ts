import 'reflect-metadata';
import type { DynamicModule, INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory, type AbstractHttpAdapter } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigValidationError, describeConfig, loadConfig, type BaseServiceConfig } from './config/service-config';
import { useLeanAsyncResourceBind } from './runtime/async-resource-bind';

export interface ServiceEntry<C extends BaseServiceConfig> {
  readonly serviceName: string;
  readonly configClass: new () => C;
  /** Builds the root module from the validated config. */
  readonly module: (config: C) => DynamicModule;
  /** Options for NestFactory.create (e.g. `bodyParser: false` for a service that parses bodies itself). */
  readonly nestOptions?: Omit<NestApplicationOptions, 'bufferLogs'>;
  /** The HTTP platform (e.g. a FastifyAdapter); Express when absent. */
  readonly httpAdapter?: (config: C) => AbstractHttpAdapter;
  /** Runs after the app is created and before it listens: app-level middleware that needs DI. */
  readonly configure?: (app: INestApplication, config: C) => void;
}

/** Creates the Nest app for a config (tests use this with their own env). */
export async function createServiceApp<C extends BaseServiceConfig>(
  entry: ServiceEntry<C>,
  config: C,
): Promise<INestApplication> {
  const options = { ...entry.nestOptions, bufferLogs: true };
  const module = entry.module(config);
  const app = entry.httpAdapter ? await NestFactory.create(module, entry.httpAdapter(config), options) : await NestFactory.create(module, options);
  app.useLogger(app.get(Logger));
  // The signals that mean "stop": Nest's default list also includes SIGUSR2 and others that tools
  // use for other purposes (diagnostics, profilers), which would close the server under them.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT', 'SIGHUP']);
  entry.configure?.(app, config);
  return app;
}

/** Process entry point: validate config (exit 78 on bad config), start, listen, log where. */
export async function runService<C extends BaseServiceConfig>(entry: ServiceEntry<C>): Promise<INestApplication> {
  let config: C;
  try {
    config = loadConfig(entry.serviceName, entry.configClass);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  // Before anything binds: see async-resource-bind.ts (a GC cost on Node < 25).
  useLeanAsyncResourceBind();
  const app = await createServiceApp(entry, config);
  try {
    await app.listen(config.PORT, config.HOST);
  } catch (error) {
    app.get(Logger).error(`${entry.serviceName} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    await app.close().catch(() => undefined);
    process.exit(1);
  }
  const logger = app.get(Logger);
  logger.log({ msg: `${entry.serviceName} listening on ${await app.getUrl()}`, config: describeConfig(config) });
  return app;
}
