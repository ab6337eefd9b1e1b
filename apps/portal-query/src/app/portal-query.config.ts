import { BaseServiceConfig } from '@scimbridge/service-kit';

export class portalQueryConfig extends BaseServiceConfig {
  override PORT = 3002;
}
