import { runService } from '@scimbridge/service-kit';
import { scimIngressEntry } from './app/app.module';

void runService(scimIngressEntry);
