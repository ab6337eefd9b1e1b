import { normaliserWith } from './provider.types';

/** Google Workspace auto-provisioning: no known departure from RFC 7643/7644 that needs undoing. */
export const googleNormaliser = normaliserWith('google', []);
