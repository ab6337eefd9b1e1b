import { Topics } from '@scimbridge/contracts';
import { describeServiceBasics } from '@scimbridge/testing';
import { roleAssignmentEntry } from './app.module';

describeServiceBasics(roleAssignmentEntry, { topics: [Topics.directoryEvents, Topics.roleMappingEvents, Topics.roleEvents] });
