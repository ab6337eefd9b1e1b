import { Injectable } from '@nestjs/common';
import type { DirectoryOverviewRow } from '../persistence/entities';
import { directoryStatus, isFailure, type DirectoryStatus } from './directory-status';
import { IngressClient } from './ingress.client';

export interface DirectoryOverviewView {
  readonly id: string;
  readonly organizationId: string;
  readonly provider: string | null;
  readonly name: string | null;
  readonly enabled: boolean;
  readonly status: DirectoryStatus;
  readonly createdAt: string | null;
  readonly counts: { readonly users: number; readonly activeUsers: number; readonly inactiveUsers: number; readonly groups: number };
  readonly defaultRole: { readonly role: string; readonly appliesTo: string | null } | null;
  /** Times of the first and latest user/group event: the IdP's successful writes. */
  readonly firstSyncAt: string | null;
  readonly lastSyncAt: string | null;
  readonly lastEvent: { readonly type: string; readonly at: string } | null;
  /** From the ingress (null when it has none, or did not answer: see `ingress`). */
  readonly lastRequest: { readonly at: string; readonly method: string; readonly path: string; readonly status: number; readonly error: string | null } | null;
  readonly lastError: { readonly at: string; readonly status: number; readonly error: string | null } | null;
  readonly tokenLastUsedAt: string | null;
  /** `ok`, or why the ingress's facts (lastRequest, lastError, tokenLastUsedAt) are missing. */
  readonly ingress: string;
}

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
