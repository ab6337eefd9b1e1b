import { normaliserWith } from './provider.types';

/**
 * JumpCloud: full PUTs, `active: false` before DELETE, minimal `{value}` members, Entra-style
 * `remove members` with a value list, repeated adds. All standard enough to be handled for everyone.
 */
export const jumpCloudNormaliser = normaliserWith('jumpcloud', []);
