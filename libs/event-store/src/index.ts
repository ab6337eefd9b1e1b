export * from './event-store.errors';
export * from './event-store.port';
export * from './eventstoredb/eventstoredb-event-store';
export * from './postgres/postgres-event-store';
export * from './relay/outbox-relay';
export * from './subscription';
