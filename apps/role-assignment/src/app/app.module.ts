import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@scimbridge/contracts';
import { ServiceKitModule, type ServiceEntry } from '@scimbridge/service-kit';
import { roleAssignmentConfig } from './role-assignment.config';

/** Role assignment: projects group-to-role mappings into RoleAssigned / RoleRevoked. */
@Module({})
export class AppModule {
  static forRoot(config: roleAssignmentConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceKitModule.forRoot({ serviceName: 'role-assignment', config, topics: [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents] })],
    };
  }
}

export const roleAssignmentEntry: ServiceEntry<roleAssignmentConfig> = {
  serviceName: 'role-assignment',
  configClass: roleAssignmentConfig,
  module: (config) => AppModule.forRoot(config),
};
