import { Topics } from '@scimbridge/contracts';
import { describeServiceBasics, TEST_MANAGEMENT_KEY } from '@scimbridge/testing';
import { webhookDeliveryEntry } from './app.module';

describeServiceBasics(webhookDeliveryEntry, {
  topics: [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents],
  env: { MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY },
  readiness: ['dispatcher'],
});
