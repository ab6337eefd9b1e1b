import { runService } from '@scimbridge/service-kit';
import { webhookDeliveryEntry } from './app/app.module';

void runService(webhookDeliveryEntry);
