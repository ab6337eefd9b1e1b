import { BaseServiceConfig } from '@scimbridge/service-kit';

export class roleAssignmentConfig extends BaseServiceConfig {
  override PORT = 3001;
}
