import { useState } from 'react';
import type { Api, ConnectionView, IssuedToken, OverviewView, TokenView } from '../api';
import { connectionSummary, formatDateTime, plural } from '../format';
import { postToHost } from '../host-messages';
import { guideSteps, providerById } from '../providers';
import { useNow, usePoll } from '../use-poll';
import { Badge, Card, ConfirmDialog, CopyField, ErrorNotice, Spinner } from '../ui';
import type { DirectoryPageProps } from './directory-page';
import { RoleAssignmentCard } from './role-assignment-card';

type Props = DirectoryPageProps & { readonly overview: OverviewView | undefined; readonly overviewLoading: boolean; readonly onOpenTab: (tab: 'users' | 'groups' | 'events') => void };

export function ConfigurationTab(props: Props) {
  const { api, directory, overview } = props;
  const connection = usePoll(`connection:${directory.id}`, () => api.get<ConnectionView>(`/directories/${directory.id}/connection`), 5000);
  const provider = providerById(directory.provider);
  return (
    <div className="config-grid">
      <div className="stack">
        <ConnectionStatusCard overview={overview} loading={props.overviewLoading} providerLabel={provider.label} onOpenEvents={() => props.onOpenTab('events')} />
        <DirectoryDetailsCard {...props} connection={connection.data} connectionError={connection.error} reloadConnection={connection.reload} />
        <AssignCard overview={overview} onOpenTab={props.onOpenTab} />
        <RoleAssignmentCard api={api} directoryId={directory.id} organizationId={directory.organizationId} position={overview?.position} syncStarted={Boolean(overview && (overview.firstSyncAt || overview.counts.users > 0 || overview.counts.groups > 0))} />
        <DirectoryStateCard
          api={api}
          directoryId={directory.id}
          providerLabel={provider.label}
          counts={overview ? { users: overview.counts.users, groups: overview.counts.groups } : undefined}
          enabled={connection.data?.enabled ?? overview?.enabled ?? directory.enabled}
          onChanged={connection.reload}
          onDeleted={(counts) => props.onDeleted(directory, counts)}
        />
      </div>
      <aside className="stack">
        <SetupGuideCard providerId={provider.id} open={!overview || overview.status === 'waiting_for_first_request'} />
      </aside>
    </div>
  );
}

function ConnectionStatusCard({ overview, loading, providerLabel, onOpenEvents }: { overview: OverviewView | undefined; loading: boolean; providerLabel: string; onOpenEvents: () => void }) {
  const now = useNow(1000);
  if (!overview && loading) {
    return (
      <Card title="Connection status">
        <Spinner label="Checking the connection…" />
      </Card>
    );
  }
  if (!overview) {
    // The directory is brand new: the read models have not seen it yet, so nothing has reached it either.
    return (
      <Card title="Connection status">
        <div className="status-line status-warning" data-testid="connection-status">
          <span className="status-dot" aria-hidden="true" />
          <div>
            <strong>Waiting for the first request from {providerLabel}</strong>
          </div>
        </div>
      </Card>
    );
  }
  const summary = connectionSummary(overview, providerLabel, now);
  return (
    <Card
      title="Connection status"
      actions={
        <button type="button" className="button button-small" onClick={onOpenEvents}>
          View requests
        </button>
      }
    >
      <div className={`status-line status-${summary.tone}`} data-testid="connection-status" data-status={overview.status} aria-live="polite">
        <span className={`status-dot ${overview.status === 'waiting_for_first_request' ? 'pulse' : ''}`} aria-hidden="true" />
        <div>
          <strong>{summary.title}</strong>
          {summary.detail ? <div className="muted small mono-soft">{summary.detail}</div> : null}
        </div>
      </div>
      {overview.ingress !== 'ok' ? <p className="muted small">Some connection facts are unavailable: {overview.ingress}</p> : null}
    </Card>
  );
}

function DirectoryDetailsCard({
  api,
  directory,
  fresh,
  onFreshToken,
  onDismissFresh,
  connection,
  connectionError,
  reloadConnection,
}: Props & { connection: ConnectionView | undefined; connectionError: Error | undefined; reloadConnection: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const [revoking, setRevoking] = useState<TokenView | undefined>();
  const provider = providerById(directory.provider);
  const activeTokens = (connection?.tokens ?? []).filter((t) => t.revokedAt === null);

  const rotate = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const issued = await api.send<IssuedToken>('POST', `/directories/${directory.id}/tokens`, {});
      onFreshToken({ directoryId: directory.id, tokenId: issued.id, bearerToken: issued.bearerToken });
      reloadConnection();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (token: TokenView): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await api.send('DELETE', `/directories/${directory.id}/tokens/${token.id}`);
      if (fresh?.tokenId === token.id) onDismissFresh();
      reloadConnection();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
      setRevoking(undefined);
    }
  };

  return (
    <Card
      title="Directory details"
      actions={
        <button type="button" className="button button-small" onClick={() => void rotate()} disabled={busy}>
          Generate new token
        </button>
      }
    >
      <p className="muted small">
        Paste these into {provider.label}: the Endpoint URL as “{provider.urlField}”, the Bearer Token as “{provider.tokenField}”.
      </p>
      <CopyField label="Endpoint URL" value={connection?.endpointUrl ?? directory.endpointUrl} testId="endpoint-url" />
      {fresh ? (
        <div className="fresh-token" data-testid="fresh-token">
          <CopyField label="Bearer Token" value={fresh.bearerToken} testId="bearer-token" secret />
          <div className="notice notice-warning">
            <span>Copy this token now: it is shown only once. {activeTokens.length > 1 ? 'Older tokens keep working until you revoke them.' : ''}</span>
            <button type="button" className="button button-small" onClick={onDismissFresh}>
              I have copied it
            </button>
          </div>
        </div>
      ) : null}
      <h3 className="subheading">Tokens</h3>
      {connectionError && !connection ? <ErrorNotice error={connectionError} onRetry={reloadConnection} /> : null}
      {!connection && !connectionError ? <Spinner label="Loading tokens…" /> : null}
      {connection && activeTokens.length === 0 ? (
        <div className="notice notice-danger" data-testid="no-active-token">
          <span>No active token: {provider.label} cannot reach this directory. Generate a new token and paste it into {provider.label}.</span>
        </div>
      ) : null}
      <ul className="token-list">
        {activeTokens.map((token) => (
          <li key={token.id} className="token-row" data-testid="token-row" data-token-id={token.id}>
            <div>
              <span className="mono">scim_••••••••{token.lastFour}</span> {fresh?.tokenId === token.id ? <Badge tone="success">New</Badge> : null}
              <div className="muted small">
                Created {formatDateTime(token.createdAt)} · {token.expiresAt ? `Expires ${formatDateTime(token.expiresAt)}` : 'Never expires'} · {token.lastUsedAt ? `Last used ${formatDateTime(token.lastUsedAt)}` : 'Never used'}
              </div>
            </div>
            <button type="button" className="button button-small button-danger-outline" onClick={() => setRevoking(token)} disabled={busy} aria-label={`Revoke token ending in ${token.lastFour}`}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
      {error ? <ErrorNotice error={error} /> : null}
      {revoking ? (
        <ConfirmDialog title={`Revoke the token ending in ${revoking.lastFour}?`} confirmLabel="Revoke token" busy={busy} onCancel={() => setRevoking(undefined)} onConfirm={() => void revoke(revoking)}>
          <p>
            {provider.label} requests with this token fail with 401 at once. {activeTokens.length === 1 ? `It is the only active token: generate a new one and paste it into ${provider.label} to keep syncing.` : ''}
          </p>
        </ConfirmDialog>
      ) : null}
    </Card>
  );
}

function AssignCard({ overview, onOpenTab }: { overview: OverviewView | undefined; onOpenTab: (tab: 'users' | 'groups') => void }) {
  return (
    <Card title="Assign users and groups">
      <p className="muted small">Users and groups you assign to this app in your identity provider are synced here.</p>
      <div className="stat-row">
        <button type="button" className="stat" onClick={() => onOpenTab('users')}>
          <span className="stat-value">{overview ? overview.counts.users : '—'}</span>
          <span className="stat-label">Users{overview && overview.counts.inactiveUsers > 0 ? ` (${overview.counts.inactiveUsers} deactivated)` : ''}</span>
        </button>
        <button type="button" className="stat" onClick={() => onOpenTab('groups')}>
          <span className="stat-value">{overview ? overview.counts.groups : '—'}</span>
          <span className="stat-label">Groups</span>
        </button>
      </div>
      <p className="listening" data-testid="listening">
        <span className="status-dot pulse" aria-hidden="true" />
        {overview?.lastSyncAt ? `Listening — last update received at ${formatDateTime(overview.lastSyncAt)}` : 'Listening — no update received yet'}
      </p>
    </Card>
  );
}

function SetupGuideCard({ providerId, open }: { providerId: string; open: boolean }) {
  const provider = providerById(providerId);
  return (
    <Card title={`Set up ${provider.label}`}>
      <details open={open} className="guide">
        <summary>Step-by-step guide</summary>
        <ol className="steps">
          {guideSteps(provider, 'this app').map((step, i) => (
            <li key={i}>{step}</li>
          ))}
        </ol>
      </details>
    </Card>
  );
}

function DirectoryStateCard({
  api,
  directoryId,
  providerLabel,
  counts,
  enabled,
  onChanged,
  onDeleted,
}: {
  api: Api;
  directoryId: string;
  providerLabel: string;
  counts: { users: number; groups: number } | undefined;
  enabled: boolean;
  onChanged: () => void;
  onDeleted: (counts: { users: number; groups: number } | undefined) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState<'disable' | 'delete' | undefined>();
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const [shown, setShown] = useState<boolean | undefined>();
  const isEnabled = shown ?? enabled;
  const set = async (next: boolean): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await api.send('POST', `/directories/${directoryId}/${next ? 'enable' : 'disable'}`);
      setShown(next);
      postToHost(next ? { type: 'directory.enabled', directoryId } : { type: 'directory.disabled', directoryId });
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
      setConfirm(undefined);
    }
  };
  const remove = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await api.send('DELETE', `/directories/${directoryId}`);
      postToHost({ type: 'directory.deleted', directoryId });
      onDeleted(counts);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
      setBusy(false);
      setConfirm(undefined);
    }
  };
  const closeDelete = (): void => {
    setConfirm(undefined);
    setTyped('');
  };
  return (
    <Card title="Directory state" className="danger-zone">
      <div className="setting-row">
        <div>
          <strong>{isEnabled ? 'Sync is enabled' : 'Sync is disabled'}</strong>
          <p className="muted small">
            {isEnabled
              ? 'Disabling refuses every request from your identity provider (401). Synced users and groups stay as they are; nothing is deleted.'
              : 'Requests from your identity provider are refused. Enable to resume; the provider catches up on its next sync.'}
          </p>
        </div>
        {isEnabled ? (
          <button type="button" className="button button-danger-outline" onClick={() => setConfirm('disable')} disabled={busy}>
            Disable directory
          </button>
        ) : (
          <button type="button" className="button button-primary" onClick={() => void set(true)} disabled={busy}>
            Enable directory
          </button>
        )}
      </div>
      <ResyncRow api={api} directoryId={directoryId} />
      <div className="setting-row">
        <div>
          <strong>Delete directory</strong>
          <p className="muted small" id="delete-explanation">
            Removes the connection for good: its tokens stop working at once, every synced user is deprovisioned in this app (and loses the roles their groups gave
            them) and every synced group is removed. To pause syncing instead, disable the directory.
          </p>
        </div>
        <button type="button" className="button button-danger" onClick={() => setConfirm('delete')} disabled={busy} aria-describedby="delete-explanation">
          Delete directory
        </button>
      </div>
      {error ? <ErrorNotice error={error} /> : null}
      {confirm === 'disable' ? (
        <ConfirmDialog title="Disable this directory?" confirmLabel="Disable directory" busy={busy} onCancel={() => setConfirm(undefined)} onConfirm={() => void set(false)}>
          <p>Your identity provider's requests will fail with 401 until you enable it again. Users and groups already synced are kept, with their roles.</p>
        </ConfirmDialog>
      ) : null}
      {confirm === 'delete' ? (
        <ConfirmDialog
          title={`Delete the ${providerLabel} directory?`}
          confirmLabel={busy ? 'Deleting…' : 'Delete directory'}
          busy={busy}
          confirmDisabled={typed.trim().toLowerCase() !== 'delete'}
          onCancel={closeDelete}
          onConfirm={() => void remove()}
        >
          <p>This cannot be undone.</p>
          <ul className="consequences">
            <li>
              {counts ? `${counts.users} synced ${counts.users === 1 ? 'user is' : 'users are'}` : 'Every synced user is'} deprovisioned in this app and {counts?.users === 1 ? 'loses' : 'lose'} the roles
              that came from their groups.
            </li>
            <li>{counts ? `${counts.groups} synced ${counts.groups === 1 ? 'group is' : 'groups are'}` : 'Every synced group is'} removed, with its role mappings.</li>
            <li>{providerLabel}'s next request fails with 401. To connect again later, configure a new directory; it starts empty.</li>
          </ul>
          <label className="field">
            <span>
              Type <strong>delete</strong> to confirm
            </span>
            <input type="text" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" aria-label="Type delete to confirm" />
          </label>
        </ConfirmDialog>
      ) : null}
    </Card>
  );
}


interface ResyncStatus {
  readonly resyncId: string;
  readonly status: 'running' | 'completed' | 'cancelled';
  readonly completedAt: string | null;
  readonly userCount: number;
  readonly groupCount: number;
  readonly usersSent: number;
  readonly groupsSent: number;
}

/** "Resend everything": a full-state resync, so the app can repair whatever drifted; progress while it runs. */
function ResyncRow({ api, directoryId }: { api: Api; directoryId: string }) {
  const [resyncId, setResyncId] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const status = usePoll(`resync:${resyncId ?? ''}`, () => (resyncId ? api.get<ResyncStatus>(`/directories/${directoryId}/resyncs/${resyncId}`) : Promise.resolve(undefined)), resyncId ? 1000 : 0);
  const current = status.data;
  const running = busy || current?.status === 'running';
  const start = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      setResyncId((await api.send<ResyncStatus>('POST', `/directories/${directoryId}/resync`)).resyncId);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="setting-row">
      <div>
        <strong>Resend everything to your app</strong>
        <p className="muted small" data-testid="resync-status">
          {current?.status === 'running'
            ? `Resending… ${current.groupsSent} of ${current.groupCount} groups, ${current.usersSent} of ${current.userCount} users.`
            : current?.status === 'completed'
              ? `Resent ${plural(current.groupsSent, 'group')} and ${plural(current.usersSent, 'user')} at ${formatDateTime(current.completedAt)}.`
              : 'Sends the current state of every user and group again, so your app can repair anything it missed. Nothing changes in the directory.'}
        </p>
        {error ? <ErrorNotice error={error} /> : null}
      </div>
      <button type="button" className="button" onClick={() => void start()} disabled={running}>
        {running ? 'Resending…' : 'Resend'}
      </button>
    </div>
  );
}
