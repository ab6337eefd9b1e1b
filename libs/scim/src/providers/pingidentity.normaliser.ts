import { normaliserWith } from './provider.types';

/** PingOne / PingFederate outbound SCIM: no known departure from RFC 7643/7644 that needs undoing. */
export const pingIdentityNormaliser = normaliserWith('pingidentity', []);
