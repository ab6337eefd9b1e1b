import { renderToString } from 'react-dom/server';
import { App, linkToken } from './app';
import { LinkRefusedPage } from './access-pages';
import { DIRECTORY_PROVIDERS, guideSteps, providerById } from './providers';

const neverCalled = async (): Promise<Response> => {
  throw new Error('server rendering must not fetch');
};

describe('portal App', () => {
  it('starts with a loading state, never a blank page', () => {
    const html = renderToString(<App fetcher={neverCalled} />);
    expect(html).toContain('Opening the portal');
    expect(html).toContain('role="status"');
  });

  it('explains how to get in when there is no session', () => {
    const html = renderToString(<App fetcher={neverCalled} initialState={{ kind: 'no-session' }} />);
    expect(html).toContain('Open the portal from your app');
    expect(html).toContain('portal link');
  });

  it.each([
    ['expired', 'This portal link has expired'],
    ['used', 'This portal link has already been used'],
    ['revoked', 'This portal link has been revoked'],
    ['unknown', 'This portal link is not valid'],
  ] as const)('says why a %s link does not open the portal', (reason, title) => {
    const html = renderToString(<LinkRefusedPage reason={reason} message="Ask for a new one." />);
    expect(html).toContain(title);
    expect(html).toContain(`data-reason="${reason}"`);
  });

  it('shows the expired-session page', () => {
    expect(renderToString(<App fetcher={neverCalled} initialState={{ kind: 'expired' }} />)).toContain('Your session has expired');
  });

  it('renders the portal shell for a session: organization, top tabs with SCIM Provisioning selected', () => {
    const html = renderToString(<App fetcher={neverCalled} initialState={{ kind: 'ready', session: { organization: { id: 'o1', name: 'Acme Corp' }, expiresAt: null } }} />);
    expect(html).toContain('Acme Corp');
    expect(html).toMatch(/role="tablist" aria-label="Portal sections"/);
    expect(html).toMatch(/role="tab" id="top-tab-sso" aria-selected="false"[^>]*>Single Sign-On</);
    expect(html).toMatch(/role="tab" id="top-tab-scim" aria-selected="true"[^>]*>SCIM Provisioning</);
    expect(html).toMatch(/role="tabpanel" id="top-panel" aria-labelledby="top-tab-scim"/);
  });
});

describe('linkToken', () => {
  it('reads the token from the fragment', () => {
    expect(linkToken('#token=pl_abcDEF_-123')).toBe('pl_abcDEF_-123');
    expect(linkToken('token=pl_x')).toBe('pl_x');
  });
  it('ignores anything that is not a portal link token', () => {
    expect(linkToken('')).toBeUndefined();
    expect(linkToken('#token=')).toBeUndefined();
    expect(linkToken('#token=<script>')).toBeUndefined();
    expect(linkToken('#other=pl_x')).toBeUndefined();
  });
});

describe('providers', () => {
  it('lists the seven providers, OneLogin first and Generic SCIM 2.0 last', () => {
    expect(DIRECTORY_PROVIDERS.map((p) => p.label)).toEqual(['OneLogin', 'Okta', 'Microsoft Entra ID', 'JumpCloud', 'PingIdentity', 'Google Workspace', 'Generic SCIM 2.0']);
    expect(providerById('nope').id).toBe('generic');
  });

  it("walks a OneLogin admin through OneLogin's own screens", () => {
    const steps = guideSteps(providerById('onelogin'), 'Acme').join('\n');
    for (const words of ['SCIM Provisioner with SAML (SCIM v2 Enterprise)', 'SCIM Base URL', 'SCIM Bearer Token', 'Enable', 'Provisioning tab', 'Save', 'Pending', 'Parameters → Groups', 'Include in User Provisioning', 'Set Groups in Acme']) {
      expect(steps).toContain(words);
    }
  });
});
