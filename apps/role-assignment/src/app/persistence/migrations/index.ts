import { InitialTables1764806400000 } from './1764806400000-initial-tables';
import { DirectoryDeletion1765929600000 } from './1765929600000-directory-deletion';

/** In order; a shipped migration is never edited: add a new one. */
export const ROLE_ASSIGNMENT_MIGRATIONS = [InitialTables1764806400000, DirectoryDeletion1765929600000];
