import { normaliserWith } from './provider.types';

/**
 * Okta sends standard SCIM 2.0. What it does that a strict server trips on is handled for everyone:
 * `password` on create (dropped, never returned), `groups: []` (readOnly, ignored), `id` inside a
 * path-less rename `replace` (readOnly, ignored), `remove members[value eq "x"]` mixed with `add members`,
 * `replace members` as the exact set.
 */
export const oktaNormaliser = normaliserWith('okta', []);
