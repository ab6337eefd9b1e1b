import { Topics } from '@scimbridge/contracts';
import { describeServiceBasics, TEST_MANAGEMENT_KEY } from '@scimbridge/testing';
import { portalQueryEntry } from './app.module';

describeServiceBasics(portalQueryEntry, {
  topics: [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents],
  env: { MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY },
  readiness: ['read-models'],
});
