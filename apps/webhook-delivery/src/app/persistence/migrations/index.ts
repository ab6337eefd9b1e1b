import { InitialTables1796342400000 } from './1796342400000-initial-tables';

/** In order; a shipped migration is never edited: add a new one. */
export const WEBHOOK_DELIVERY_MIGRATIONS = [InitialTables1796342400000];
