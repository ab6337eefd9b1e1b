import { normaliserWith } from './provider.types';

/** Any SCIM 2.0 client: only the liberal reading every provider gets (validation and the PATCH engine). */
export const genericNormaliser = normaliserWith('generic', []);
