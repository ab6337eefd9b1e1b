import { runService } from '@scimbridge/service-kit';
import { portalQueryEntry } from './app/app.module';

void runService(portalQueryEntry);
