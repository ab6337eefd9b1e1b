import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@scimbridge/contracts';
import type { INestApplication } from '@nestjs/common';
import { createServer } from 'node:net';
import { createServiceApp, type ServiceEntry } from '../bootstrap';
import { BaseServiceConfig, loadConfig } from '../config/service-config';
import { ServiceKitModule } from '../service-kit.module';
import { ReadinessChecks } from './readiness';

// Self-contained on purpose: libs/testing depends on this library, so this spec cannot use its helpers.

/** The state of a part the probe service reports through ReadinessChecks. */
const widget: { status: 'up' | 'degraded' | 'down'; restarts: number } = { status: 'up', restarts: 0 };

@Module({})
class ProbeModule {
  static forRoot(config: BaseServiceConfig): DynamicModule {
    return {
      module: ProbeModule,
      imports: [ServiceKitModule.forRoot({ serviceName: 'health-probe', config, topics: [Topics.directoryEvents] })],
      providers: [
        {
          provide: 'widget-readiness',
          inject: [ReadinessChecks],
          useFactory: (checks: ReadinessChecks) => checks.register('widget', () => ({ status: widget.status, detail: { restarts: widget.restarts } })),
        },
      ],
    };
  }
}

const probeEntry: ServiceEntry<BaseServiceConfig> = {
  serviceName: 'health-probe',
  configClass: BaseServiceConfig,
  module: (config) => ProbeModule.forRoot(config),
};

interface HealthBody {
  status: string;
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string }>;
}

async function boot(overrides: Record<string, string> = {}): Promise<{ app: INestApplication; url: string }> {
  const config = loadConfig('health-probe', BaseServiceConfig, { ...process.env, LOG_LEVEL: 'silent', ...overrides });
  const app = await createServiceApp(probeEntry, config);
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

async function getHealth(url: string): Promise<{ status: number; body: HealthBody }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as HealthBody };
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

describe('health endpoints', () => {
  it('stays live but reports not ready (503, kafka down) while Kafka is unreachable', async () => {
    const service = await boot({ KAFKA_BROKERS: `127.0.0.1:${await closedPort()}` });
    try {
      expect((await getHealth(`${service.url}/health`)).status).toBe(200);
      const ready = await getHealth(`${service.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('error');
      expect(ready.body.error?.['kafka']?.status).toBe('down');
      expect(ready.body.info?.['postgres']?.status).toBe('up');
    } finally {
      await service.app.close();
    }
  });

  it('becomes ready against the real broker and database', async () => {
    const service = await boot();
    try {
      let ready = await getHealth(`${service.url}/health/ready`);
      // Topic creation runs in the background right after start.
      for (let i = 0; i < 100 && ready.status !== 200; i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        ready = await getHealth(`${service.url}/health/ready`);
      }
      expect(ready.status).toBe(200);
      expect(ready.body.info?.['kafka']?.status).toBe('up');
      expect(ready.body.info?.['postgres']?.status).toBe('up');
      expect(ready.body.info?.['widget']).toEqual({ status: 'up', restarts: 0 });

      // A degraded part is shown, and the service stays ready.
      Object.assign(widget, { status: 'degraded', restarts: 1 });
      const degraded = await getHealth(`${service.url}/health/ready`);
      expect(degraded.status).toBe(200);
      expect(degraded.body.status).toBe('degraded');
      expect(degraded.body.info?.['widget']).toEqual({ status: 'degraded', restarts: 1 });

      // A registered part that is down makes the service not ready, with the part's own detail.
      Object.assign(widget, { status: 'down', restarts: 3 });
      const down = await getHealth(`${service.url}/health/ready`);
      expect(down.status).toBe(503);
      expect(down.body.error?.['widget']).toEqual({ status: 'down', restarts: 3 });
      expect(down.body.info?.['postgres']?.status).toBe('up');
    } finally {
      Object.assign(widget, { status: 'up', restarts: 0 });
      await service.app.close();
    }
  });
});
