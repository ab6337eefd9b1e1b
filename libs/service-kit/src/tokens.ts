/** Injection tokens shared by the service kit's providers. */
export const SERVICE_CONFIG = Symbol.for('scimbridge:service-config');
export const SERVICE_OPTIONS = Symbol.for('scimbridge:service-options');
export const PG_POOL = Symbol.for('scimbridge:pg-pool');
export const KAFKA_CLIENT = Symbol.for('scimbridge:kafka-client');
