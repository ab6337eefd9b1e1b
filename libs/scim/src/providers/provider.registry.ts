import { entraIdNormaliser } from './entra-id.normaliser';
import { genericNormaliser } from './generic.normaliser';
import { googleNormaliser } from './google.normaliser';
import { jumpCloudNormaliser } from './jumpcloud.normaliser';
import { oktaNormaliser } from './okta.normaliser';
import { oneLoginNormaliser } from './onelogin.normaliser';
import { pingIdentityNormaliser } from './pingidentity.normaliser';
import type { ProviderId, ProviderNormaliser } from './provider.types';

const NORMALISERS: Readonly<Record<ProviderId, ProviderNormaliser>> = {
  onelogin: oneLoginNormaliser,
  okta: oktaNormaliser,
  'entra-id': entraIdNormaliser,
  jumpcloud: jumpCloudNormaliser,
  pingidentity: pingIdentityNormaliser,
  google: googleNormaliser,
  generic: genericNormaliser,
};

export function providerNormaliser(provider: ProviderId): ProviderNormaliser {
  return NORMALISERS[provider];
}

export function normaliseResource(provider: ProviderId, resourceType: string, body: unknown): unknown {
  return NORMALISERS[provider].normaliseResource(resourceType, body);
}

export function normalisePatch(provider: ProviderId, resourceType: string, body: unknown): unknown {
  return NORMALISERS[provider].normalisePatch(resourceType, body);
}
