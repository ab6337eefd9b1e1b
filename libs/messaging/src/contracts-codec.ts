import { buildEnvelope, isEventType, messageKeyFor, parseEnvelope, topicFor, type EventMetadata } from '@scimbridge/contracts';
import type { RecordedEvent, RelayMessage } from '@scimbridge/event-store';
import type { Decoder } from './projection-runner';

/**
 * The wire format of scimbridge's public topics, both ways: stored events become CloudEvents-style
 * envelopes validated against their JSON Schema before they are published (an invalid one is refused
 * and goes to the relay's dead-letter topic), and consumers get envelopes validated and upcast to the
 * latest schema version (an invalid one goes to the projection's dead-letter topic).
 */
export function contractsMessageMapper(serviceName: string): (event: RecordedEvent) => RelayMessage {
  const source = `/scimbridge/${serviceName}`;
  return (event) => {
    if (!isEventType(event.type)) throw new Error(`unknown event type ${event.type}`);
    const metadata = event.metadata as unknown as EventMetadata;
    const envelope = buildEnvelope({
      id: event.id,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata,
      source,
      streamId: event.streamId,
      streamVersion: event.streamVersion,
    });
    return {
      topic: topicFor(event.type),
      key: messageKeyFor(envelope.directoryid),
      value: JSON.stringify(envelope),
      headers: { 'content-type': 'application/cloudevents+json', 'ce-type': envelope.type, 'ce-id': envelope.id },
    };
  };
}

export const contractsDecoder: Decoder = (raw) => {
  const parsed = parseEnvelope(raw);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  const sequence = Number(parsed.envelope.sequence);
  if (!Number.isSafeInteger(sequence) || sequence < 1) return { ok: false, error: `bad sequence ${parsed.envelope.sequence}` };
  return {
    ok: true,
    event: {
      id: parsed.envelope.id,
      type: parsed.event.type,
      subject: parsed.envelope.subject,
      sequence,
      data: parsed.event.data,
      directoryId: parsed.envelope.directoryid,
      organizationId: parsed.envelope.organizationid,
      time: parsed.envelope.time,
      schemaVersion: parsed.event.schemaVersion,
    },
  };
};
