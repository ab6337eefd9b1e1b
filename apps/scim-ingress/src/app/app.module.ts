import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@scimbridge/contracts';
import { ServiceKitModule, type ServiceEntry } from '@scimbridge/service-kit';
import { scimIngressConfig } from './scim-ingress.config';

/** SCIM ingress: what OneLogin and the other IdPs talk to; appends directory events. */
@Module({})
export class AppModule {
  static forRoot(config: scimIngressConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceKitModule.forRoot({ serviceName: 'scim-ingress', config, topics: [Topics.directoryEvents] })],
    };
  }
}

export const scimIngressEntry: ServiceEntry<scimIngressConfig> = {
  serviceName: 'scim-ingress',
  configClass: scimIngressConfig,
  module: (config) => AppModule.forRoot(config),
};
