import { ReadModelGenerations1764979200000 } from './1764979200000-read-model-generations';

/** In order; a shipped migration is never edited: add a new one. */
export const PORTAL_QUERY_MIGRATIONS = [ReadModelGenerations1764979200000];
