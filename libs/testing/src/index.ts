export * from './infra/infrastructure';
export * from './infra/postgres';
export * from './infra/kafka';
export * from './infra/ports';
export * from './infra/process-guard';
export * from './isolation';
export * from './service-app';
export * from './service-contract';
