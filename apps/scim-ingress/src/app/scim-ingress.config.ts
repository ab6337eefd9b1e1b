import { BaseServiceConfig } from '@scimbridge/service-kit';

export class scimIngressConfig extends BaseServiceConfig {
  override PORT = 3000;
}
