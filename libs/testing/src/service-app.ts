import type { INestApplication } from '@nestjs/common';
import { createServiceApp, loadConfig, type BaseServiceConfig, type ServiceEntry } from '@scimbridge/service-kit';
import { waitFor } from './infra/ports';

export interface RunningService<C extends BaseServiceConfig> {
  readonly app: INestApplication;
  readonly config: C;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Stops it (once: a second call, e.g. an afterAll after a test already closed it, does nothing more). */
  close(): Promise<void>;
}

/**
 * Boots a service's real root module on a free port against the run's PostgreSQL and Kafka (the env that
 * jest's globalSetup exported), exactly as main.ts would, with per-test overrides.
 */
export async function startServiceForTest<C extends BaseServiceConfig>(
  entry: ServiceEntry<C>,
  overrides: Record<string, string> = {},
): Promise<RunningService<C>> {
  const config = loadConfig(entry.serviceName, entry.configClass, {
    ...process.env,
    LOG_LEVEL: process.env['SCIMBRIDGE_TEST_LOG_LEVEL'] ?? 'error',
    HOST: '127.0.0.1',
    PORT: '0',
    ...overrides,
  });
  const app = await createServiceApp(entry, config);
  // A test that needs to know the port up front (e.g. for PUBLIC_URL) passes PORT; otherwise any free one.
  await app.listen(overrides['PORT'] ? Number(overrides['PORT']) : 0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  let closing: Promise<void> | undefined;
  return { app, config, url, close: () => (closing ??= app.close()) };
}

export interface HealthBody {
  status: string;
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string; message?: string }>;
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

/** Waits until /health/ready answers 200 (topic creation runs in the background at start). */
export async function waitUntilReady(baseUrl: string, timeoutMs = 30_000): Promise<HealthBody> {
  return waitFor(
    `${baseUrl}/health/ready`,
    async () => {
      const { status, body } = await getJson<HealthBody>(`${baseUrl}/health/ready`);
      if (status !== 200) throw new Error(`ready answered ${status}: ${JSON.stringify(body)}`);
      return body;
    },
    { timeoutMs, intervalMs: 200 },
  );
}
