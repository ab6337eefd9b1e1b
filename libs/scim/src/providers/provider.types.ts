/** Directory providers a directory can be configured with (DESIGN.md, management API). */
export const PROVIDERS = ['onelogin', 'okta', 'entra-id', 'jumpcloud', 'pingidentity', 'google', 'generic'] as const;
export type ProviderId = (typeof PROVIDERS)[number];

/**
 * One non-standard habit of an IdP, undone before validation. Quirks are pure: they return a new body and
 * leave anything they do not recognise as it is, for validation to judge.
 */
export interface Quirk {
  readonly name: string;
  /** What the IdP sends and what it means, for docs and test names. */
  readonly description: string;
  readonly resource?: (resourceType: string, body: unknown) => unknown;
  readonly patch?: (resourceType: string, body: unknown) => unknown;
}

export interface ProviderNormaliser {
  readonly provider: ProviderId;
  readonly quirks: readonly Quirk[];
  /** A POST/PUT body, before `validateResource`. */
  normaliseResource(resourceType: string, body: unknown): unknown;
  /** A PATCH body, before `parsePatchRequest`/`applyPatchRequest`. */
  normalisePatch(resourceType: string, body: unknown): unknown;
}

export function normaliserWith(provider: ProviderId, quirks: readonly Quirk[]): ProviderNormaliser {
  return {
    provider,
    quirks,
    normaliseResource: (resourceType, body) => quirks.reduce((current, quirk) => (quirk.resource ? quirk.resource(resourceType, current) : current), body),
    normalisePatch: (resourceType, body) => quirks.reduce((current, quirk) => (quirk.patch ? quirk.patch(resourceType, current) : current), body),
  };
}
