import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { parseEnvelope, type ContractEvent, type EventEnvelope } from '@scimbridge/contracts';
import { DataSource } from 'typeorm';
import { applyEvent } from './apply-event';
import { advancePosition, lockPosition } from './subject-positions';

export type ReceiveOutcome =
  | { readonly result: 'applied' | 'ignored'; readonly eventId: string; readonly type: string }
  /** Already applied: a redelivery (Kafka after a rebalance or restart, a webhook retry). */
  | { readonly result: 'duplicate'; readonly eventId: string; readonly type: string }
  /** Unreadable or newer than this app's @scimbridge/contracts: kept in rejected_messages. */
  | { readonly result: 'rejected'; readonly reason: string };

/**
 * Where every message goes, whichever way it came (Kafka or webhook): validate, dedupe, apply, and record
 * progress — the last three in ONE database transaction.
 *
 * Delivery is at least once, so the same event can come again. Each event belongs to a stream (its
 * `subject`, e.g. one user) and has a 1-based `sequence` in it; a stream's events arrive in order. So the
 * app keeps, per subject, the last sequence it applied: an event at or below it is a duplicate and is
 * skipped. Because that position is written in the same transaction as the change, a crash either keeps
 * both or neither — redelivery after a crash is then harmless. (Deduping on the envelope `id` works too,
 * but needs a row per event forever; one row per subject stays small and also reveals gaps.)
 */
@Injectable()
export class EventSink {
  private readonly logger = new Logger(EventSink.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** `origin` says where the message came from, for the logs and rejected_messages. */
  async receive(raw: Buffer | string | null, origin: string): Promise<ReceiveOutcome> {
    const parsed = parseEnvelope(raw); // validates envelope and data against the JSON Schemas; never throws
    if (!parsed.ok) {
      // Do not block the stream behind a message the app cannot read: keep it aside and go on.
      this.logger.warn(`rejected ${origin}: ${parsed.error}`);
      await this.dataSource.query('INSERT INTO rejected_messages (origin, reason, payload, received_at) VALUES ($1, $2, $3, now())', [
        origin,
        parsed.error,
        raw === null ? null : raw.toString(),
      ]);
      return { result: 'rejected', reason: parsed.error };
    }
    return this.applyOnce(parsed.envelope, parsed.event);
  }

  private async applyOnce(envelope: EventEnvelope, event: ContractEvent): Promise<ReceiveOutcome> {
    const sequence = Number(envelope.sequence);
    const { id: eventId, type } = envelope;
    return this.dataSource.transaction(async (db) => {
      // Lock the subject's position, so two deliveries of one event at the same moment (a webhook retry
      // racing a slow first attempt) are applied one after the other, the second seen as a duplicate.
      const last = await lockPosition(db, envelope.subject, eventId);
      if (sequence <= last) return { result: 'duplicate', eventId, type } as const;
      if (sequence > last + 1 && last > 0) {
        // Events of this stream were missed (e.g. the app was attached mid-stream, or a topic's retention
        // dropped them). Applying the newer one is still right for state events; a full resync repairs the rest.
        this.logger.warn(`${envelope.subject}: sequence ${sequence} after ${last}, ${sequence - last - 1} event(s) missed`);
      }

      const result = await applyEvent(db, envelope, event);
      await advancePosition(db, envelope.subject, sequence, eventId);
      return { result, eventId, type };
    });
  }
}
