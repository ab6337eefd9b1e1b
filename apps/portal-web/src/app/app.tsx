import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, createApi, type Api, type Fetcher, type PortalLinkRefusal, type SessionView } from './api';
import { LinkRefusedPage, MissingTokenPage, NoSessionPage, SessionExpiredPage, SignedOutPage } from './access-pages';
import { postToHost } from './host-messages';
import { Portal } from './portal';
import { Spinner } from './ui';

type AppState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'no-session' }
  | { readonly kind: 'missing-token' }
  | { readonly kind: 'refused'; readonly reason: PortalLinkRefusal; readonly message: string | undefined }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'expired' }
  | { readonly kind: 'signed-out' }
  | { readonly kind: 'ready'; readonly session: SessionView };

const REFUSALS: readonly PortalLinkRefusal[] = ['unknown', 'expired', 'revoked', 'used'];

/** The link token from `#token=pl_…` (the fragment never reaches a server or a Referer header). */
export function linkToken(hash: string): string | undefined {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  return token && /^pl_[A-Za-z0-9_-]+$/.test(token) ? token : undefined;
}

type Opened = { organization: SessionView['organization']; expiresAt: string };
const exchanges = new Map<string, Promise<Opened>>();

/**
 * One exchange per link token and page load: an embedded link is single use, so a second POST (an
 * effect run twice, a remount) would be refused as "used" although this page holds the session.
 */
function exchangeOnce(api: Api, token: string): Promise<Opened> {
  let pending = exchanges.get(token);
  if (!pending) {
    pending = api.send<Opened>('POST', '/portal-sessions', { token });
    exchanges.set(token, pending);
  }
  return pending;
}

export interface AppProps {
  readonly fetcher?: Fetcher;
  /** For server rendering in tests: the state to start in instead of asking the backend. */
  readonly initialState?: AppState;
  readonly path?: string;
  readonly hash?: string;
}

/**
 * `/open#token=…` exchanges a portal link for a session cookie, then shows the portal at `/`; `/` with a
 * session shows the portal; without one, a page that says how to get in. Never a blank screen.
 */
export function App({ fetcher, initialState, path, hash }: AppProps) {
  const [state, setState] = useState<AppState>(initialState ?? { kind: 'loading' });
  const onUnauthenticated = useCallback(() => {
    setState((s) => (s.kind === 'ready' ? { kind: 'expired' } : s));
  }, []);
  const api = useMemo<Api>(() => createApi(fetcher, onUnauthenticated), [fetcher, onUnauthenticated]);

  useEffect(() => {
    if (initialState) return;
    const currentPath = path ?? window.location.pathname;
    const currentHash = hash ?? window.location.hash;
    let cancelled = false;
    const start = async (): Promise<void> => {
      if (currentPath === '/open' || currentPath === '/open/') {
        const token = linkToken(currentHash);
        if (!token) return setState({ kind: 'missing-token' });
        try {
          const opened = await exchangeOnce(api, token);
          // Out of the address bar and history: a reload must not try the used link again.
          window.history.replaceState(null, '', '/');
          if (!cancelled) setState({ kind: 'ready', session: { organization: opened.organization, expiresAt: opened.expiresAt } });
        } catch (error) {
          if (cancelled) return;
          if (error instanceof ApiError && error.status === 401) {
            const body = error.body as { reason?: string; message?: string } | undefined;
            const reason = REFUSALS.find((r) => r === body?.reason) ?? 'unknown';
            setState({ kind: 'refused', reason, message: body?.message });
          } else if (error instanceof ApiError && error.status === 400) {
            setState({ kind: 'refused', reason: 'unknown', message: undefined });
          } else {
            setState({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
          }
        }
        return;
      }
      try {
        const current = await api.get<{ kind: string; organization?: SessionView['organization']; expiresAt?: string | null }>('/portal-sessions/current');
        if (cancelled) return;
        if (current.kind !== 'organization' || !current.organization) return setState({ kind: 'no-session' });
        setState({ kind: 'ready', session: { organization: current.organization, expiresAt: current.expiresAt ?? null } });
      } catch (error) {
        if (cancelled) return;
        if (error instanceof ApiError && error.status === 401) setState({ kind: 'no-session' });
        else setState({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
      }
    };
    void start();
    return () => {
      cancelled = true;
    };
  }, [api, initialState, path, hash]);

  useEffect(() => {
    if (state.kind === 'expired') postToHost({ type: 'session.expired' });
  }, [state.kind]);

  const signOut = useCallback(async () => {
    await api.send('DELETE', '/portal-sessions/current').catch(() => undefined);
    setState({ kind: 'signed-out' });
  }, [api]);

  switch (state.kind) {
    case 'loading':
      return (
        <main className="access-page">
          <Spinner label="Opening the portal…" />
        </main>
      );
    case 'no-session':
      return <NoSessionPage />;
    case 'missing-token':
      return <MissingTokenPage />;
    case 'refused':
      return <LinkRefusedPage reason={state.reason} message={state.message} />;
    case 'expired':
      return <SessionExpiredPage />;
    case 'signed-out':
      return <SignedOutPage />;
    case 'error':
      return (
        <main className="access-page">
          <div className="access-card access-danger">
            <h1>The portal could not load</h1>
            <p role="alert">{state.message}</p>
            <button type="button" className="button button-primary" onClick={() => window.location.reload()}>
              Reload
            </button>
          </div>
        </main>
      );
    case 'ready':
      return <Portal api={api} session={state.session} onExpired={() => setState({ kind: 'expired' })} onSignOut={() => void signOut()} />;
  }
}
