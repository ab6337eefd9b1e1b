import { Topics } from '@scimbridge/contracts';
import { describeServiceBasics, TEST_MANAGEMENT_KEY } from '@scimbridge/testing';
import { webhookDeliveryEntry } from './app.module';

describeServiceBasics(webhookDeliveryEntry, {
  topics: [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents],
  // Its own consumer group: in a full run the shared one carries a backlog of every earlier suite's events.
  // This test once timed out at two minutes in a full CI run (cause not found; joining the shared group
  // after other suites' instances is the suspect).
  env: { MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY, WEBHOOK_CONSUMER_GROUP_ID: `webhook-delivery-basics-${Date.now()}` },
  readiness: ['dispatcher'],
});
