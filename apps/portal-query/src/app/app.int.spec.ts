import { Topics } from '@scimbridge/contracts';
import { describeServiceBasics } from '@scimbridge/testing';
import { portalQueryEntry } from './app.module';

describeServiceBasics(portalQueryEntry, { topics: [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents] });
