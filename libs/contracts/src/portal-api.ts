/*
 * The read side of the management API as JSON (what portal-query answers, and the ingress's SCIM request
 * log): one set of types for the services that answer and for the portal (and any app) that reads them.
 * Public API like the events: add fields, never change or remove one in place.
 */

/** Where a directory stands, for its overview. */
export type DirectoryStatus = 'waiting_for_first_request' | 'connected' | 'error' | 'disabled';

/** A SCIM request as the overview sums it up. */
export interface RequestSummary {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly error: string | null;
}

/** `GET /api/v1/directories/{id}` (portal-query). */
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
  readonly lastRequest: RequestSummary | null;
  readonly lastError: { readonly at: string; readonly status: number; readonly error: string | null } | null;
  readonly tokenLastUsedAt: string | null;
  /** `ok`, or why the ingress's facts (lastRequest, lastError, tokenLastUsedAt) are missing. */
  readonly ingress: string;
}

/** A row of `GET /api/v1/directories/{id}/users` (portal-query). */
export interface UserSummaryView {
  readonly id: string;
  readonly externalId: string | null;
  readonly userName: string;
  readonly displayName: string | null;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly primaryEmail: string | null;
  readonly active: boolean;
  readonly status: 'active' | 'inactive';
  readonly department: string | null;
  readonly title: string | null;
  readonly groups: readonly { readonly id: string; readonly displayName: string }[];
  /** From scim.role.events: the user's effective roles and the groups granting each ([] = default role). */
  readonly roles: readonly { readonly role: string; readonly viaGroupIds: readonly string[] }[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastEvent: { readonly type: string; readonly at: string };
}

/** `GET /api/v1/directories/{id}/users/{userId}` (portal-query). */
export interface UserDetailView extends UserSummaryView {
  readonly emails: readonly { readonly value: string; readonly type: string | null; readonly primary: boolean }[];
  /** The canonical SCIM resource as the IdP's last write left it (no password, no groups). */
  readonly attributes: Record<string, unknown>;
}

/** A row of `GET /api/v1/directories/{id}/groups` (portal-query). */
export interface GroupView {
  readonly id: string;
  readonly externalId: string | null;
  readonly displayName: string;
  readonly memberCount: number;
  /** Roles the directory's role mapping gives this group's members (scim.role-mapping.events). */
  readonly roles: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A row of `GET /api/v1/directories/{id}/events` (portal-query), newest first. */
export interface EventLogEntryView {
  readonly id: string;
  readonly type: string;
  readonly topic: string;
  readonly subject: string;
  readonly sequence: number;
  readonly occurredAt: string;
  readonly data: unknown;
  /** The SCIM request that caused it (from the ingress's request log); null if none was found. */
  readonly request: { readonly requestId: string; readonly method: string; readonly path: string; readonly status: number; readonly receivedAt: string } | null;
}

/** An entry of `GET /api/v1/directories/{id}/scim-requests` (the ingress's SCIM request log). */
export interface ScimRequestLogEntry {
  readonly id: string;
  readonly directoryId: string;
  readonly requestId: string;
  readonly receivedAt: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly tokenId: string | null;
  readonly events: readonly { readonly id: string; readonly type: string; readonly streamId: string }[];
  /** The request's body, with password-, secret- and token-like values redacted. */
  readonly requestBody: unknown;
  readonly error: string | null;
}

// ---- webhook-delivery: an organization's webhook endpoints and their delivery log ----

/** `GET /api/v1/organizations/{orgId}/webhooks/{webhookId}` (webhook-delivery). */
export interface WebhookView {
  readonly id: string;
  readonly organizationId: string;
  readonly url: string;
  readonly description: string | null;
  /** Empty: every event type. */
  readonly eventTypes: readonly string[];
  readonly enabled: boolean;
  readonly secretRotatedAt: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Create and rotate answers: the only time the signing secret is shown. */
export interface WebhookWithSecret extends WebhookView {
  readonly secret: string;
}

export interface DeliveryAttemptView {
  readonly attempt: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly responseSnippet: string | null;
}

export interface DeliveryView {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly directoryId: string;
  readonly status: 'pending' | 'succeeded' | 'dead';
  readonly attempts: number;
  /** When the next attempt is due (pending only). */
  readonly nextAttemptAt: string | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly attemptLog: readonly DeliveryAttemptView[];
}
