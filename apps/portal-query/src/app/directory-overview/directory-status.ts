import type { DirectoryStatus } from '@scimbridge/contracts';

/** What the portal shows as a directory's connection state (the type lives in the API contract). */
export type { DirectoryStatus };

export interface StatusFacts {
  readonly enabled: boolean;
  /** A user or group event has been applied. */
  readonly synced: boolean;
  /** The newest SCIM request the ingress logged; undefined when there is none or the ingress did not answer. */
  readonly lastRequest?: { readonly status: number } | undefined;
}

/**
 * A directory's status, pure: `disabled` whatever else; `error` when the newest SCIM request failed;
 * `connected` once the IdP has sent anything (a request, or a write that became an event); else
 * `waiting_for_first_request`. Not errors: 404 (an IdP looking up a resource that is not there yet) and
 * 409 (a create of something that exists, which IdPs resolve by looking it up) — both normal in a sync.
 */
export function directoryStatus(facts: StatusFacts): DirectoryStatus {
  if (!facts.enabled) return 'disabled';
  const last = facts.lastRequest;
  if (last && isFailure(last.status)) return 'error';
  if (facts.synced || last) return 'connected';
  return 'waiting_for_first_request';
}

export function isFailure(status: number): boolean {
  return status >= 400 && status !== 404 && status !== 409;
}
