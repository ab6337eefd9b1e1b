import { Injectable } from '@nestjs/common';
import type { DirectoryOverviewView } from '@scimbridge/contracts';
import type { DirectoryOverviewRow } from '../persistence/entities';
import { directoryStatus, isFailure } from './directory-status';

import { IngressClient } from './ingress.client';

export type { DirectoryOverviewView };

/**
 * The directory overview: identity, counts and sync times from the read model (events); the last SCIM
 * request, the last failed one and the tokens' last use from the ingress, which owns the request log
 * and the tokens (its log is support data kept off the event path, so no event carries it).
 */
@Injectable()
export class DirectoryOverviewService {
  constructor(private readonly ingress: IngressClient) {}

  async overview(d: DirectoryOverviewRow): Promise<DirectoryOverviewView> {
    const [requests, tokens] = await Promise.all([this.ingress.requests(d.directoryId, 50), this.ingress.tokens(d.directoryId)]);
    const recent = requests.ok ? requests.value.requests : [];
    const last = recent[0];
    const failed = recent.find((r) => isFailure(r.status));
    const lastUsed = tokens.ok ? tokens.value.map((t) => t.lastUsedAt).filter((t): t is string => t !== null).sort().pop() ?? null : null;
    const problems = [requests.ok ? null : requests.reason, tokens.ok ? null : tokens.reason].filter((p): p is string => p !== null);
    return {
      id: d.directoryId,
      organizationId: d.organizationId,
      provider: d.provider,
      name: d.name,
      enabled: d.enabled,
      status: directoryStatus({ enabled: d.enabled, synced: d.firstSyncAt !== null, lastRequest: last }),
      createdAt: d.createdAt?.toISOString() ?? null,
      counts: { users: d.usersActive + d.usersInactive, activeUsers: d.usersActive, inactiveUsers: d.usersInactive, groups: d.groups },
      defaultRole: d.defaultRole ? { role: d.defaultRole, appliesTo: d.defaultRoleAppliesTo } : null,
      firstSyncAt: d.firstSyncAt?.toISOString() ?? null,
      lastSyncAt: d.lastSyncAt?.toISOString() ?? null,
      lastEvent: d.lastEventAt && d.lastEventType ? { type: d.lastEventType, at: d.lastEventAt.toISOString() } : null,
      lastRequest: last ? { at: last.receivedAt, method: last.method, path: last.path, status: last.status, error: last.error } : null,
      lastError: failed ? { at: failed.receivedAt, status: failed.status, error: failed.error } : null,
      tokenLastUsedAt: lastUsed,
      ingress: problems.length === 0 ? 'ok' : problems.join('; '),
    };
  }
}
