import { normaliserWith } from './provider.types';
import { managerReferenceQuirk } from './quirks/manager-reference.quirk';

/**
 * Microsoft Entra ID. Non-standard, handled here: the Enterprise `manager` sent as a bare id string
 * (`"value": "<managerId>"` for path `...:User:manager`), or, in Microsoft's own example, as a
 * one-element array `[{"$ref": ..., "value": ...}]`.
 * Accepted for every provider elsewhere: capitalised ops (`Replace`), `"False"` strings, dotted path-less
 * keys (`name.givenName`, aadOptscim062020), `remove members` with a value list, repeated adds, an extra
 * ADSCIM schema URI in `schemas`, `emails[type eq "work"].value eq "x"` filters.
 */
export const entraIdNormaliser = normaliserWith('entra-id', [
  managerReferenceQuirk('manager-bare-id', 'manager as a bare "<id>" string, or as a one-element array, means {"value": "<id>"}', [
    'bareString',
    'singleElementArray',
  ]),
]);
