import { randomUUID } from 'node:crypto';
import { validateEventData, type EventActor, type EventMetadata } from '@scimbridge/contracts';
import type { NewEvent } from '@scimbridge/event-store';
import { isIngressPrivateEvent } from './private-events';

/** Who and what caused the events of one request. */
export interface Causation {
  readonly directoryId: string;
  readonly organizationId: string;
  readonly requestId: string;
  readonly actor: EventActor;
  readonly at: Date;
}

export interface DecidedEvent {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
}

/**
 * Decided events become storable events: a fresh id (stable from here on, so consumers can dedupe),
 * the metadata of the request, and a schema check — an event that does not match its published
 * contract is a bug and must never reach the store (the relay would have to dead-letter it).
 */
export function toNewEvents(events: readonly DecidedEvent[], causation: Causation, extra: Record<string, unknown> = {}): NewEvent[] {
  return events.map((event) => {
    const check = isIngressPrivateEvent(event.type) ? ({ ok: true } as const) : validateEventData(event.type, event.schemaVersion, event.data);
    if (!check.ok) throw new Error(`${event.type} v${event.schemaVersion} breaks its contract: ${check.errors.join('; ')}`);
    const metadata: EventMetadata & Record<string, unknown> = {
      directoryId: causation.directoryId,
      organizationId: causation.organizationId,
      occurredAt: causation.at.toISOString(),
      correlationId: causation.requestId,
      actor: causation.actor,
      ...extra,
    };
    return { id: randomUUID(), type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata };
  });
}
