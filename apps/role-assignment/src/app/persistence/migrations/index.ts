import { InitialTables1764806400000 } from './1764806400000-initial-tables';

/** In order; a shipped migration is never edited: add a new one. */
export const ROLE_ASSIGNMENT_MIGRATIONS = [InitialTables1764806400000];
