export * from './topics';

// Event types, one union per topic; `...V1` shapes stay forever, the unsuffixed name is the current one.
export * from './versioned-event';
export * from './event-metadata';
export * from './directory-events';
export * from './role-mapping-events';
export * from './role-events';

// Catalog, schemas, validation, upcasting.
export * from './event-catalog';
export * from './schemas/json-schema';
export * from './schemas/directory-events.schema';
export * from './schemas/role-mapping-events.schema';
export * from './schemas/role-events.schema';
export * from './schemas/event-envelope.schema';
export { validateEventData, validateEventMetadata } from './event-validation';
export type { ValidationOutcome } from './event-validation';
export * from './upcasters';
export * from './contract-violation.error';

// The Kafka message and the streams it refers to.
export * from './event-envelope';
export * from './stream-ids';
export * from './resource-state';
export { EXAMPLES, EXAMPLE_IDS, exampleInput, type EventExample } from './examples';

// The read side of the management API (portal-query's answers, the ingress's request log).
export * from './portal-api';
