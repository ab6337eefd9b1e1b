/** The stream was not at the expected version: someone else appended first. Reload, decide, retry. */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number | 'any' | 'no_stream',
    readonly actualVersion: number,
  ) {
    super(
      actualVersion === expectedVersion
        ? // The version matched, yet nothing was appended: the stream's last event came from a younger
          // transaction (see PostgresEventStore's order guard). A new transaction will do.
          `stream ${streamId} is at version ${actualVersion} as expected, but its last event was written by a younger transaction; retry in a new transaction`
        : `stream ${streamId} is at version ${actualVersion}, expected ${String(expectedVersion)}`,
    );
    this.name = 'ConcurrencyError';
  }
}

/** An event id already exists elsewhere (another stream or version): ids must be unique per event. */
export class DuplicateEventIdError extends Error {
  constructor(readonly eventIds: readonly string[]) {
    super(`event id(s) already used by other events: ${eventIds.join(', ')}`);
    this.name = 'DuplicateEventIdError';
  }
}
