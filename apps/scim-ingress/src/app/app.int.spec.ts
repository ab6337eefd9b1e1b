import { Topics } from '@scimbridge/contracts';
import { describeServiceBasics } from '@scimbridge/testing';
import { scimIngressEntry } from './app.module';

describeServiceBasics(scimIngressEntry, { topics: [Topics.directoryEvents], env: { MANAGEMENT_API_KEY: 'k'.repeat(40) }, readiness: ['relay'] });
