import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@scimbridge/contracts';
import { ServiceKitModule, type ServiceEntry } from '@scimbridge/service-kit';
import { portalQueryConfig } from './portal-query.config';

/** Portal query: read models and query API behind the portal's Users and Groups tabs. */
@Module({})
export class AppModule {
  static forRoot(config: portalQueryConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceKitModule.forRoot({ serviceName: 'portal-query', config, topics: [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents] })],
    };
  }
}

export const portalQueryEntry: ServiceEntry<portalQueryConfig> = {
  serviceName: 'portal-query',
  configClass: portalQueryConfig,
  module: (config) => AppModule.forRoot(config),
};
