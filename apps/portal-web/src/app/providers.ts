/** Directory providers an admin can pick, in the order the portal shows them (OneLogin first). */
export type ProviderId = 'onelogin' | 'okta' | 'entra-id' | 'jumpcloud' | 'pingidentity' | 'google' | 'generic';

export interface DirectoryProvider {
  readonly id: ProviderId;
  readonly label: string;
  /** What the IdP calls the two fields the admin pastes into. */
  readonly urlField: string;
  readonly tokenField: string;
  /** Step-by-step setup in the IdP's own words. `{app}` is the app's name in the IdP. */
  readonly guide: readonly string[];
}

export const DIRECTORY_PROVIDERS: readonly DirectoryProvider[] = [
  {
    id: 'onelogin',
    label: 'OneLogin',
    urlField: 'SCIM Base URL',
    tokenField: 'SCIM Bearer Token',
    guide: [
      'In OneLogin, go to Applications → Add App and add "SCIM Provisioner with SAML (SCIM v2 Enterprise)".',
      'Open the Configuration tab: paste the Endpoint URL into "SCIM Base URL" and the Bearer Token into "SCIM Bearer Token". Leave "SCIM JSON Template" as it is.',
      'Click Enable next to "API Connection": the status turns to Enabled and this page shows the first request.',
      'Open the Provisioning tab: check "Enable provisioning" and click Save.',
      'Assign users to the app. If "Require admin approval" is on, approve the Pending users under Users → Provisioning.',
      'Under Parameters → Groups, check "Include in User Provisioning" and Save.',
      'Under Rules, add a rule with the action "Set Groups in {app}" for the OneLogin roles to push as groups.',
    ],
  },
  {
    id: 'okta',
    label: 'Okta',
    urlField: 'SCIM connector base URL',
    tokenField: 'Bearer token (HTTP Header)',
    guide: [
      'In Okta, open your app integration → General → App Settings → Edit and set Provisioning to SCIM.',
      'On the Provisioning tab → Integration: paste the Endpoint URL into "SCIM connector base URL" and set "Unique identifier field for users" to userName.',
      'Check Push New Users, Push Profile Updates and Push Groups; Authentication Mode: HTTP Header, and paste the Bearer Token.',
      'Click "Test Connector Configuration", then Save.',
      'Provisioning → To App: enable Create Users, Update User Attributes and Deactivate Users.',
      'Assign people and groups to the app, and add groups under Push Groups.',
    ],
  },
  {
    id: 'entra-id',
    label: 'Microsoft Entra ID',
    urlField: 'Tenant URL',
    tokenField: 'Secret Token',
    guide: [
      'In the Entra admin center, open Enterprise applications → your app → Provisioning, and set the mode to Automatic.',
      'Under Admin Credentials, paste the Endpoint URL into "Tenant URL" and the Bearer Token into "Secret Token".',
      'Click Test Connection, then Save.',
      'Under Users and groups, assign the users and groups to provision.',
      'Set Provisioning Status to On and Save. Entra ID syncs about every 40 minutes; use "Provision on demand" to test.',
    ],
  },
  {
    id: 'jumpcloud',
    label: 'JumpCloud',
    urlField: 'Base URL',
    tokenField: 'Token Key',
    guide: [
      'In JumpCloud, open SSO Applications → your app → Identity Management.',
      'Choose SCIM 2.0, paste the Endpoint URL into "Base URL" and the Bearer Token into "Token Key".',
      'Click Test Connection (JumpCloud creates and deletes a test user and group), then Activate.',
      'Bind user groups to the app on its User Groups tab, and Save.',
    ],
  },
  {
    id: 'pingidentity',
    label: 'PingIdentity',
    urlField: 'SCIM BASE URL',
    tokenField: 'Access Token',
    guide: [
      'In PingOne, go to Integrations → Provisioning → New connection → Identity Store → SCIM Outbound.',
      'Paste the Endpoint URL into "SCIM BASE URL", choose OAuth 2 Bearer Token authentication and paste the Bearer Token.',
      'Test the connection and Save; then add a rule that selects the users and groups to provision and enable it.',
    ],
  },
  {
    id: 'google',
    label: 'Google Workspace',
    urlField: 'Endpoint URL',
    tokenField: 'Access token',
    guide: [
      'In the Google Admin console, open Apps → Web and mobile apps → your app → Auto-provisioning.',
      'Paste the Bearer Token as the access token and the Endpoint URL as the endpoint URL.',
      'Map the attributes (at least userName and primary email), choose the groups in scope, and turn auto-provisioning on.',
    ],
  },
  {
    id: 'generic',
    label: 'Generic SCIM 2.0',
    urlField: 'SCIM base URL',
    tokenField: 'Bearer token',
    guide: [
      'In your identity provider, create a SCIM 2.0 provisioning connection.',
      'Use the Endpoint URL as the base URL (it serves /Users, /Groups, /ServiceProviderConfig, /Schemas and /ResourceTypes).',
      'Authenticate with the header "Authorization: Bearer <token>", using the Bearer Token.',
      'Send users and groups; group membership can be sent with PATCH or PUT on /Groups.',
    ],
  },
];

export function providerById(id: string | null | undefined): DirectoryProvider {
  return DIRECTORY_PROVIDERS.find((p) => p.id === id) ?? (DIRECTORY_PROVIDERS[DIRECTORY_PROVIDERS.length - 1] as DirectoryProvider);
}

/** A provider's guide with the app's name filled in. */
export function guideSteps(provider: DirectoryProvider, appName: string): string[] {
  return provider.guide.map((step) => step.replaceAll('{app}', appName));
}
