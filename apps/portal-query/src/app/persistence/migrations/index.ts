import { ReadModelGenerations1764979200000 } from './1764979200000-read-model-generations';
import { ReadModelTuning1765584000000 } from './1765584000000-read-model-tuning';
import { DirectoryDeletion1765929600000 } from './1765929600000-directory-deletion';

/** In order; a shipped migration is never edited: add a new one. */
export const PORTAL_QUERY_MIGRATIONS = [ReadModelGenerations1764979200000, ReadModelTuning1765584000000, DirectoryDeletion1765929600000];
