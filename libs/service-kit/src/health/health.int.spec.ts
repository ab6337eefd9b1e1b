import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@scimbridge/contracts';
import { getJson, randomFreePort, startServiceForTest, waitUntilReady, type HealthBody } from '@scimbridge/testing';
import { BaseServiceConfig } from '../config/service-config';
import type { ServiceEntry } from '../bootstrap';
import { ServiceKitModule } from '../service-kit.module';

@Module({})
class ProbeModule {
  static forRoot(config: BaseServiceConfig): DynamicModule {
    return {
      module: ProbeModule,
      imports: [ServiceKitModule.forRoot({ serviceName: 'health-probe', config, topics: [Topics.directoryEvents] })],
    };
  }
}

const probeEntry: ServiceEntry<BaseServiceConfig> = {
  serviceName: 'health-probe',
  configClass: BaseServiceConfig,
  module: (config) => ProbeModule.forRoot(config),
};

describe('health endpoints', () => {
  it('stays live but reports not ready (503, kafka down) while Kafka is unreachable', async () => {
    const deadBroker = `127.0.0.1:${await randomFreePort()}`;
    const service = await startServiceForTest(probeEntry, { KAFKA_BROKERS: deadBroker });
    try {
      expect((await getJson<HealthBody>(`${service.url}/health`)).status).toBe(200);
      const ready = await getJson<HealthBody>(`${service.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('error');
      expect(ready.body.error?.['kafka']?.status).toBe('down');
      expect(ready.body.info?.['postgres']?.status).toBe('up');
    } finally {
      await service.close();
    }
  });

  it('becomes ready against the real broker and database', async () => {
    const service = await startServiceForTest(probeEntry);
    try {
      const body = await waitUntilReady(service.url);
      expect(body.info?.['kafka']?.status).toBe('up');
      expect(body.info?.['postgres']?.status).toBe('up');
    } finally {
      await service.close();
    }
  });
});
