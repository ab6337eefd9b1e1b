import { useEffect, useState } from 'react';
import type { Api, SessionView } from './api';
import { postToHost, sessionPhase, type SessionPhase } from './host-messages';
import { ScimProvisioning } from './scim/scim-provisioning';
import { WebhooksTab } from './webhooks/webhooks-tab';
import { Card, EmptyState, TabPanel, Tabs } from './ui';

type TopTab = 'sso' | 'scim' | 'webhooks';

/** Tracks the session's end: a warning banner (and host message) before, the expired page after. */
function useSessionPhase(expiresAt: string | null, onExpired: () => void): SessionPhase {
  const [phase, setPhase] = useState<SessionPhase>(() => sessionPhase(expiresAt, Date.now()).phase);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = (): void => {
      const next = sessionPhase(expiresAt, Date.now());
      setPhase(next.phase);
      if (next.changesInMs !== undefined) timer = setTimeout(check, Math.min(next.changesInMs + 50, 2 ** 31 - 1));
    };
    check();
    return () => {
      if (timer) clearTimeout(timer);
    };
  }, [expiresAt]);
  useEffect(() => {
    if (phase === 'expiring' && expiresAt) postToHost({ type: 'session.expiring', expiresAt });
    if (phase === 'expired') onExpired();
  }, [phase, expiresAt, onExpired]);
  return phase;
}

export function Portal({ api, session, onExpired, onSignOut }: { api: Api; session: SessionView; onExpired: () => void; onSignOut: () => void }) {
  const [tab, setTab] = useState<TopTab>('scim');
  // Before the session phase's effect, so the host hears `loaded` first.
  useEffect(() => {
    postToHost({ type: 'loaded', organizationId: session.organization.id });
  }, [session.organization.id]);
  const phase = useSessionPhase(session.expiresAt, onExpired);

  return (
    <div className="portal">
      <a className="skip-link" href="#portal-main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true">
              sb
            </span>
            <div>
              <div className="brand-org" data-testid="organization-name">
                {session.organization.name}
              </div>
              <div className="brand-sub">Directory sync settings</div>
            </div>
          </div>
          <button type="button" className="button button-ghost" onClick={onSignOut}>
            Sign out
          </button>
        </div>
        <nav className="topbar-tabs" aria-label="Portal sections">
          <Tabs<TopTab>
            idPrefix="top"
            label="Portal sections"
            selected={tab}
            onSelect={setTab}
            items={[
              { key: 'sso', label: 'Single Sign-On' },
              { key: 'scim', label: 'SCIM Provisioning' },
              { key: 'webhooks', label: 'Webhooks' },
            ]}
          />
        </nav>
      </header>
      {phase === 'expiring' && session.expiresAt ? (
        <div className="notice notice-warning banner" role="status">
          Your session ends at {new Date(session.expiresAt).toLocaleTimeString()}. Save your changes, then open the portal again from your app.
        </div>
      ) : null}
      <main id="portal-main" className="content">
        <TabPanel idPrefix="top" selected={tab}>
          {tab === 'sso' ? (
            <Card title="Single Sign-On">
              <EmptyState title="Single Sign-On is coming soon">
                <p>SAML and OIDC connections will be configured here. Directory sync (SCIM) works on its own: set it up under SCIM Provisioning.</p>
                <button type="button" className="button button-primary" onClick={() => setTab('scim')}>
                  Go to SCIM Provisioning
                </button>
              </EmptyState>
            </Card>
          ) : tab === 'webhooks' ? (
            <WebhooksTab api={api} organizationId={session.organization.id} />
          ) : (
            <ScimProvisioning api={api} organization={session.organization} />
          )}
        </TabPanel>
      </main>
    </div>
  );
}
