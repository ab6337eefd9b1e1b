/** Who caused an event: the IdP over SCIM, the app's backend over the management API, or ourselves. */
export interface EventActor {
  readonly kind: 'idp' | 'management-api' | 'system';
  /** e.g. the directory token id for `idp`; absent when there is nothing useful to name. */
  readonly id?: string;
}

/**
 * Stored next to every event. Time and ids come in here, never from `new Date()` inside a decider, so
 * deciders stay pure and replays are deterministic.
 */
export interface EventMetadata {
  readonly directoryId: string;
  readonly organizationId: string;
  /** ISO 8601 / RFC 3339 date-time with a zone, e.g. `2026-01-01T10:00:00.000Z`. */
  readonly occurredAt: string;
  /** Shared by every event that one request (or one consumed event) led to. */
  readonly correlationId?: string;
  /** The id of the command or event that directly caused this one. */
  readonly causationId?: string;
  readonly actor?: EventActor;
}
