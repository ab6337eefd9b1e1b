import type { ReactNode } from 'react';
import type { PortalLinkRefusal } from './api';

/** A full-page message for when there is no portal to show (no link, refused link, expired session). */
export function AccessPage({ title, children, tone = 'neutral' }: { title: string; children: ReactNode; tone?: 'neutral' | 'danger' | 'warning' }) {
  return (
    <main className="access-page">
      <div className={`access-card access-${tone}`}>
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">sb</span>
        </div>
        <h1>{title}</h1>
        <div className="access-body">{children}</div>
        <p className="muted small">SCIM configuration portal</p>
      </div>
    </main>
  );
}

export function NoSessionPage() {
  return (
    <AccessPage title="Open the portal from your app">
      <p>This SCIM configuration portal opens through a portal link, which your app gives you (usually from its settings page, under Directory sync or SCIM).</p>
      <p>Ask your app's administrator for a new link if you don't have one.</p>
    </AccessPage>
  );
}

const REFUSAL_TITLES: Record<PortalLinkRefusal, string> = {
  unknown: 'This portal link is not valid',
  expired: 'This portal link has expired',
  revoked: 'This portal link has been revoked',
  used: 'This portal link has already been used',
};

export function LinkRefusedPage({ reason, message }: { reason: PortalLinkRefusal; message: string | undefined }) {
  return (
    <AccessPage title={REFUSAL_TITLES[reason]} tone="danger">
      <p data-testid="refusal-reason" data-reason={reason}>
        {message ?? 'Ask for a new one.'}
      </p>
      <p>Portal links are single-purpose keys: for your security each one works only for a limited time{reason === 'used' ? ', and an embedded link only once' : ''}. Your app can make you a new one at any time.</p>
    </AccessPage>
  );
}

export function MissingTokenPage() {
  return (
    <AccessPage title="This portal link is incomplete" tone="danger">
      <p>The link has no access token. Copy the whole link, including the part after “#”, or ask for a new one.</p>
    </AccessPage>
  );
}

export function SessionExpiredPage() {
  return (
    <AccessPage title="Your session has expired" tone="warning">
      <p>For your security, portal sessions end after a while. Open the portal again from your app to continue; nothing you saved is lost.</p>
    </AccessPage>
  );
}

export function SignedOutPage() {
  return (
    <AccessPage title="You have signed out">
      <p>Open the portal again from your app to continue.</p>
    </AccessPage>
  );
}
