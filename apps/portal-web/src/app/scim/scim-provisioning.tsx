import { useCallback, useState } from 'react';
import type { Api, CreatedDirectory, DirectoryView } from '../api';
import { DIRECTORY_PROVIDERS, providerById, type ProviderId } from '../providers';
import { usePoll } from '../use-poll';
import { Card, ErrorNotice, Spinner } from '../ui';
import { DirectoryPage } from './directory-page';

/** A token just issued (on Configure or rotation): shown in full until the admin hides it, never again. */
export interface FreshToken {
  readonly directoryId: string;
  readonly tokenId: string;
  readonly bearerToken: string;
}

/**
 * The "SCIM Provisioning" tab: the organization's directories (from the ingress, which owns them). None
 * yet: choose a provider → Configure. Otherwise the directory's page, with a switcher when there are several.
 */
export function ScimProvisioning({ api, organization }: { api: Api; organization: { id: string; name: string } }) {
  const directories = usePoll(`dirs:${organization.id}`, () => api.get<{ directories: DirectoryView[] }>(`/organizations/${organization.id}/directories`), 0);
  const [selectedId, setSelectedId] = useState<string | undefined>();
  const [adding, setAdding] = useState(false);
  const [fresh, setFresh] = useState<FreshToken | undefined>();
  const [deleted, setDeleted] = useState<{ label: string; users: number | undefined } | undefined>();

  const onCreated = useCallback(
    (created: CreatedDirectory) => {
      setFresh({ directoryId: created.id, tokenId: created.token.id, bearerToken: created.bearerToken });
      setSelectedId(created.id);
      setAdding(false);
      directories.reload();
    },
    [directories],
  );
  const onDeleted = useCallback(
    (directory: DirectoryView, counts: { users: number; groups: number } | undefined) => {
      setDeleted({ label: providerById(directory.provider).label, users: counts?.users });
      setSelectedId(undefined);
      setFresh(undefined);
      directories.reload();
    },
    [directories],
  );

  if (directories.loading && !directories.data) return <Spinner label="Loading your directories…" />;
  if (directories.error && !directories.data) return <ErrorNotice error={directories.error} onRetry={directories.reload} />;
  const list = directories.data?.directories ?? [];
  const selected = list.find((d) => d.id === selectedId) ?? list[0];
  const deletedNotice = deleted ? (
    <div className="notice notice-success" role="status" data-testid="directory-deleted">
      The {deleted.label} directory was deleted.{' '}
      {deleted.users ? `Its ${deleted.users} ${deleted.users === 1 ? 'user is' : 'users are'} being deprovisioned in this app.` : 'Its users are being deprovisioned in this app.'}
      <button type="button" className="button button-small" onClick={() => setDeleted(undefined)}>
        Dismiss
      </button>
    </div>
  ) : null;

  if (!selected || adding) {
    return (
      <>
        {deletedNotice}
        <ProviderPicker api={api} organizationId={organization.id} onCreated={onCreated} onCancel={selected ? () => setAdding(false) : undefined} />
      </>
    );
  }
  return (
    <>
      {deletedNotice}
      <DirectoryPage
      key={selected.id}
      api={api}
      directory={selected}
      directories={list}
      onSelectDirectory={setSelectedId}
      onAddDirectory={() => setAdding(true)}
      fresh={fresh?.directoryId === selected.id ? fresh : undefined}
      onFreshToken={setFresh}
      onDismissFresh={() => setFresh(undefined)}
      onDeleted={onDeleted}
      />
    </>
  );
}

function ProviderPicker({ api, organizationId, onCreated, onCancel }: { api: Api; organizationId: string; onCreated: (d: CreatedDirectory) => void; onCancel: (() => void) | undefined }) {
  const [provider, setProvider] = useState<ProviderId>('onelogin');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const configure = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      onCreated(await api.send<CreatedDirectory>('POST', `/organizations/${organizationId}/directories`, { provider, name: providerById(provider).label }));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
      setBusy(false);
    }
  };
  return (
    <div className="stack">
      <div className="page-intro">
        <h1>SCIM Provisioning</h1>
        <p className="muted">Sync users and groups from your identity provider automatically: people you add there get access here, people you remove lose it.</p>
      </div>
      <Card title="Choose your directory provider">
        <div role="radiogroup" aria-label="Directory provider" className="provider-grid">
          {DIRECTORY_PROVIDERS.map((p) => (
            <label key={p.id} className={p.id === provider ? 'provider-option selected' : 'provider-option'}>
              <input type="radio" name="provider" value={p.id} checked={p.id === provider} onChange={() => setProvider(p.id)} />
              <span className={`provider-logo provider-${p.id}`} aria-hidden="true">
                {p.label.slice(0, 1)}
              </span>
              <span className="provider-name">{p.label}</span>
            </label>
          ))}
        </div>
        {error ? <ErrorNotice error={error} /> : null}
        <div className="card-footer">
          {onCancel ? (
            <button type="button" className="button" onClick={onCancel}>
              Cancel
            </button>
          ) : null}
          <button type="button" className="button button-primary" onClick={() => void configure()} disabled={busy}>
            {busy ? 'Configuring…' : 'Configure'}
          </button>
        </div>
      </Card>
    </div>
  );
}
