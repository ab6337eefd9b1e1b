import { Logger } from '@nestjs/common';
import { createApp } from './app.module';
import { ConfigError, loadConfig } from './config/app.config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(78); // EX_CONFIG
  }
  const app = await createApp(config);
  new Logger('downstream-app').log(`listening on ${await app.getUrl()} ${JSON.stringify(config.describe())}`);
}

void main();
