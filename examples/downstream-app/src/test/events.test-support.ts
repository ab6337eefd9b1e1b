import { buildEnvelope, sourceFor, streamIds, type ContractEvent, type EventEnvelope, type UserStateV1 } from '@scimbridge/contracts';
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/*
 * Envelopes exactly as scimbridge publishes them (built and schema-checked by @scimbridge/contracts), for
 * one test directory, and webhook requests signed with the standard-webhooks reference library.
 */

export class TestDirectoryEvents {
  readonly directoryId = randomUUID();
  readonly organizationId = randomUUID();
  private readonly versions = new Map<string, number>();
  private clock = Date.parse('2026-12-01T10:00:00.000Z');

  /** The next event of `streamId` (sequence = its previous one + 1). */
  envelope(streamId: string, event: ContractEvent): EventEnvelope {
    const version = (this.versions.get(streamId) ?? 0) + 1;
    this.versions.set(streamId, version);
    this.clock += 1_000;
    return buildEnvelope({
      id: randomUUID(),
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: { directoryId: this.directoryId, organizationId: this.organizationId, occurredAt: new Date(this.clock).toISOString() },
      source: sourceFor(streamId.startsWith('role_') ? 'role-assignment' : 'scim-ingress'),
      streamId,
      streamVersion: version,
    });
  }

  user(userId: string, userName: string, overrides: Partial<UserStateV1> = {}): UserStateV1 {
    return {
      userId,
      externalId: `ext-${userName}`,
      userName,
      active: true,
      displayName: null,
      givenName: 'Jane',
      familyName: 'Doe',
      primaryEmail: userName,
      emails: [{ value: userName, type: 'work', primary: true }],
      resource: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: userId, userName },
      ...overrides,
    };
  }

  userProvisioned(userId: string, userName: string, overrides: Partial<UserStateV1> = {}): EventEnvelope {
    return this.envelope(streamIds.user(this.directoryId, userId), { type: 'UserProvisioned', schemaVersion: 1, data: this.user(userId, userName, overrides) });
  }

  userEvent(type: 'UserDeactivated' | 'UserReactivated' | 'UserDeprovisioned', userId: string, userName: string): EventEnvelope {
    return this.envelope(streamIds.user(this.directoryId, userId), { type, schemaVersion: 1, data: { userId, externalId: `ext-${userName}`, userName } });
  }

  role(type: 'RoleAssigned' | 'RoleRevoked', userId: string, role: string, viaGroupIds: string[] = []): EventEnvelope {
    return this.envelope(streamIds.roleGrant(this.directoryId, userId), { type, schemaVersion: 1, data: { userId, role, viaGroupIds } });
  }

  groupCreated(groupId: string, displayName: string, memberIds: string[] = []): EventEnvelope {
    return this.envelope(streamIds.group(this.directoryId, groupId), {
      type: 'GroupCreated',
      schemaVersion: 1,
      data: { groupId, externalId: null, displayName, resource: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: groupId, displayName }, memberIds },
    });
  }

  membership(groupId: string, added: string[], removed: string[]): EventEnvelope {
    return this.envelope(streamIds.group(this.directoryId, groupId), { type: 'GroupMembershipChanged', schemaVersion: 1, data: { groupId, added, removed } });
  }

  /** The sequence the stream is at (what a resync's userSequence / groupSequence would say). */
  sequenceOf(streamId: string): number {
    return this.versions.get(streamId) ?? 0;
  }
}

export interface SignedRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A webhook request as a Standard Webhooks sender makes it, signed by the reference library. */
export function signedRequest(secret: string, body: string, options: { id?: string; at?: Date } = {}): SignedRequest {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
  };
}

/** A random `whsec_` secret (24 random bytes, base64). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}
