import {
  BadRequestException,
  Controller,
  Headers,
  HttpCode,
  Inject,
  Logger,
  NotFoundException,
  Post,
  Req,
  UnauthorizedException,
  type RawBodyRequest,
} from '@nestjs/common';
import type { Request } from 'express';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { AppConfig } from '../config/app.config';
import { EventSink, type ReceiveOutcome } from '../sync/event-sink';

/**
 * Webhook mode: scimbridge POSTs each event (the same CloudEvents envelope as on Kafka) signed the
 * Standard Webhooks way. Any 2xx means "accepted, do not send again"; anything else is retried later,
 * in order, so answer non-2xx only when a retry can help (bad signature, database down).
 */
@Controller('webhooks')
export class WebhooksController {
  private readonly logger = new Logger(WebhooksController.name);
  private readonly webhook: Webhook | undefined;

  constructor(
    @Inject(AppConfig) config: AppConfig,
    private readonly sink: EventSink,
  ) {
    this.webhook = config.SYNC_MODE === 'webhook' ? new Webhook(config.WEBHOOK_SECRET) : undefined;
  }

  @Post('scimbridge')
  @HttpCode(200)
  async receive(
    @Req() request: RawBodyRequest<Request>,
    @Headers('webhook-id') id: string | undefined,
    @Headers('webhook-timestamp') timestamp: string | undefined,
    @Headers('webhook-signature') signature: string | undefined,
  ): Promise<ReceiveOutcome> {
    if (!this.webhook) throw new NotFoundException('webhook mode is off (SYNC_MODE=kafka)');
    // Verify the exact bytes received: re-serialised JSON would not match the signature.
    const body = request.rawBody;
    if (!body) throw new BadRequestException('expected a JSON body');
    try {
      // Checks the HMAC over `${id}.${timestamp}.${body}` with the secret, in constant time, and refuses
      // a timestamp more than 5 minutes away from now (a replayed old request).
      this.webhook.verify(body, { 'webhook-id': id ?? '', 'webhook-timestamp': timestamp ?? '', 'webhook-signature': signature ?? '' }, { jsonParse: false });
    } catch (error: unknown) {
      const reason = error instanceof WebhookVerificationError ? error.message : 'unverifiable request';
      this.logger.warn(`refused webhook ${JSON.stringify(id ?? null)}: ${reason}`);
      throw new UnauthorizedException(`invalid webhook signature: ${reason}`);
    }
    // The same path as Kafka messages, so the same dedupe: a retried webhook (same event) is applied once.
    return this.sink.receive(body, `webhook:${id ?? ''}`);
  }
}
