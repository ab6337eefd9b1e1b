import { runService } from '@scimbridge/service-kit';
import { roleAssignmentEntry } from './app/app.module';

void runService(roleAssignmentEntry);
