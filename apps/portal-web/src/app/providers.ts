/** Directory providers an admin can pick, in the order the portal shows them (OneLogin first). */
export interface DirectoryProvider {
  readonly id: 'onelogin' | 'okta' | 'entra-id' | 'jumpcloud' | 'pingidentity' | 'google' | 'generic';
  readonly label: string;
}

export const DIRECTORY_PROVIDERS: readonly DirectoryProvider[] = [
  { id: 'onelogin', label: 'OneLogin' },
  { id: 'okta', label: 'Okta' },
  { id: 'entra-id', label: 'Microsoft Entra ID' },
  { id: 'jumpcloud', label: 'JumpCloud' },
  { id: 'pingidentity', label: 'PingIdentity' },
  { id: 'google', label: 'Google Workspace' },
  { id: 'generic', label: 'Generic SCIM 2.0' },
];

export const BACKEND_SERVICES = ['scim-ingress', 'role-assignment', 'portal-query'] as const;
export type BackendService = (typeof BACKEND_SERVICES)[number];
