export * from './projection-runner';
export * from './nest/background-workers';
export * from './contracts-codec';
export * from './threads/threaded-worker';
