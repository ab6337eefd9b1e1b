import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ENVELOPE_SCHEMA } from '@scimbridge/contracts';
import type { Decoder } from '@scimbridge/messaging';

/*
 * Webhooks forward envelopes; they do not interpret them. So this decoder checks the envelope only
 * (libs/contracts' ENVELOPE_SCHEMA: id, type, subject, sequence, directory, organization…) and not the
 * data against a per-type schema as `contractsDecoder` does: an event type added to the contracts after
 * this service was deployed is still delivered, unchanged, instead of being dead-lettered as unknown.
 * The projected event's `data` is the message value exactly as received — the webhook body.
 */

let validate: ValidateFunction | undefined;

function envelopeValidator(): ValidateFunction {
  if (!validate) {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv, ['date-time', 'uuid']);
    validate = ajv.compile(ENVELOPE_SCHEMA);
  }
  return validate;
}

export interface EnvelopeFacts {
  readonly id: string;
  readonly type: string;
  readonly subject: string;
  readonly sequence: string;
  readonly time: string;
  readonly directoryid: string;
  readonly organizationid: string;
}

export const envelopeDecoder: Decoder = (raw) => {
  const body = raw.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const check = envelopeValidator();
  if (!check(json)) return { ok: false, error: `not a valid event envelope: ${ajvErrors(check)}` };
  const envelope = json as EnvelopeFacts;
  const sequence = Number(envelope.sequence);
  if (!Number.isSafeInteger(sequence)) return { ok: false, error: `bad sequence ${envelope.sequence}` };
  return {
    ok: true,
    event: {
      id: envelope.id,
      type: envelope.type,
      subject: envelope.subject,
      sequence,
      data: body,
      directoryId: envelope.directoryid,
      organizationId: envelope.organizationid,
      time: envelope.time,
    },
  };
};

function ajvErrors(check: ValidateFunction): string {
  return (check.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'invalid'}`).join('; ');
}
