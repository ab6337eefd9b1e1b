import { useEffect, useMemo, useState } from 'react';
import { query, type Api, type GroupView, type Page, type RoleCatalog, type RoleMappingSet, type RolePreview } from '../api';
import { bodyOf, draftFrom, previewLines, sameDraft, toggleRole, type MappingDraft } from '../role-mapping-draft';
import { formatDateTime } from '../format';
import { useDebounced, usePoll } from '../use-poll';
import { Card, EmptyState, ErrorNotice, Spinner } from '../ui';

/**
 * Group based role assignment: for each synced group, the app's roles its members get; the default role
 * for users no group gives one. Changes are previewed (who gains / loses which role) before Save.
 */
export function RoleAssignmentCard({ api, directoryId, organizationId, position, syncStarted }: { api: Api; directoryId: string; organizationId: string; position: string | undefined; syncStarted: boolean }) {
  const catalog = usePoll(`roles:${organizationId}`, () => api.get<RoleCatalog>(`/organizations/${organizationId}/roles`), 0, 5000);
  // role-assignment learns a new directory from Kafka: ask for its mappings once the directory has
  // synced something (it has seen the directory by then), and retry while it catches up.
  const mappings = usePoll(
    `mappings:${directoryId}:${syncStarted}`,
    async () => (syncStarted ? api.get<RoleMappingSet>(`/directories/${directoryId}/role-mappings`) : undefined),
    0,
    2000,
  );
  const [search, setSearch] = useState('');
  const term = useDebounced(search.trim(), 250);
  // The first 200 groups by name, or the first 200 matching the search (searched by portal-query, so a
  // directory with thousands of groups still finds each one). The draft keeps edits across searches.
  const groupsPath = `/directories/${directoryId}/groups${query({ search: term, sort: 'displayName', limit: 200 })}`;
  const groups = usePoll(`role-groups:${groupsPath}:${syncStarted}`, async () => (syncStarted ? api.get<Page<GroupView>>(groupsPath) : undefined), 0, 5000);
  const reloadGroups = groups.reload;
  useEffect(() => {
    if (position) reloadGroups();
  }, [position, reloadGroups]);

  const saved = useMemo(() => draftFrom(mappings.data), [mappings.data]);
  const [draft, setDraft] = useState<MappingDraft | undefined>();
  const current = draft ?? saved;
  const dirty = draft !== undefined && !sameDraft(draft, saved);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  const debouncedDraft = useDebounced(dirty ? current : undefined, 300);
  const [preview, setPreview] = useState<{ body: string; result: RolePreview } | { body: string; error: Error } | undefined>();
  useEffect(() => {
    if (!debouncedDraft) return;
    const body = bodyOf(debouncedDraft);
    const key = JSON.stringify(body);
    let cancelled = false;
    api
      .send<RolePreview>('POST', `/directories/${directoryId}/role-mappings/preview`, body)
      .then((result) => !cancelled && setPreview({ body: key, result }))
      .catch((e: unknown) => !cancelled && setPreview({ body: key, error: e instanceof Error ? e : new Error(String(e)) }));
    return () => {
      cancelled = true;
    };
  }, [api, directoryId, debouncedDraft]);

  const roles = catalog.data?.roles ?? [];
  const roleName = (key: string): string => roles.find((r) => r.key === key)?.displayName ?? key;
  const visibleGroups = groups.data?.items ?? [];
  const noGroupsAtAll = term === '' && visibleGroups.length === 0;

  const save = async (): Promise<void> => {
    setSaving(true);
    setError(undefined);
    try {
      await api.send('PUT', `/directories/${directoryId}/role-mappings`, bodyOf(current));
      setDraft(undefined);
      setPreview(undefined);
      mappings.reload();
      setNotice('Saved. Users gain and lose roles within a few seconds.');
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setSaving(false);
    }
  };
  const cancel = (): void => {
    setDraft(undefined);
    setPreview(undefined);
    setError(undefined);
  };
  const edit = (next: MappingDraft): void => {
    setNotice(undefined);
    setDraft(next);
  };

  const loadError = catalog.error ?? mappings.error ?? groups.error;
  const loading = catalog.loading || (syncStarted && (mappings.loading || !mappings.data)) || (groups.loading && !groups.data && term === '');
  const previewForCurrent = preview && preview.body === JSON.stringify(bodyOf(current)) ? preview : undefined;

  return (
    <Card title="Group based role assignment">
      {!syncStarted ? (
        <EmptyState title="No groups synced yet">
          <p>Once your identity provider pushes groups, give each one the app's roles here{roles.length > 0 ? ` (${roles.map((r) => r.displayName).join(', ')})` : ''}.</p>
        </EmptyState>
      ) : loadError && !(catalog.data && mappings.data && groups.data) ? (
        <ErrorNotice
          error={loadError}
          onRetry={() => {
            catalog.reload();
            mappings.reload();
            groups.reload();
          }}
        />
      ) : loading ? (
        <Spinner label="Loading roles and groups…" />
      ) : roles.length === 0 ? (
        <EmptyState title="This app has no roles to assign yet">
          <p>The app defines its roles; once it has, you can give them to your directory's groups here.</p>
        </EmptyState>
      ) : (
        <div className="role-assignment" data-testid="role-assignment">
          <div className="default-role">
            <label htmlFor={`default-role-${directoryId}`}>Unassigned users get</label>
            <select
              id={`default-role-${directoryId}`}
              value={current.defaultRole ?? ''}
              onChange={(e) => edit({ ...current, defaultRole: e.target.value === '' ? null : e.target.value })}
            >
              <option value="">No role</option>
              {roles.map((r) => (
                <option key={r.key} value={r.key}>
                  {r.displayName}
                </option>
              ))}
            </select>
          </div>
          {noGroupsAtAll ? (
            <EmptyState title="No groups synced yet">
              <p>Groups appear here as soon as your identity provider pushes them.</p>
            </EmptyState>
          ) : (
            <>
              <input type="search" className="search" placeholder="Search groups" aria-label="Search groups" value={search} onChange={(e) => setSearch(e.target.value)} />
              <ul className="mapping-list">
                {visibleGroups.map((group) => {
                  const selected = current.rolesByGroup[group.id] ?? [];
                  return (
                    <li key={group.id} className="mapping-row" data-testid="mapping-row" data-group={group.displayName}>
                      <div>
                        <strong>{group.displayName}</strong>
                        <div className="muted small">
                          {group.memberCount} {group.memberCount === 1 ? 'member' : 'members'}
                        </div>
                      </div>
                      <fieldset className="role-picker">
                        <legend className="sr-only">Roles for {group.displayName}</legend>
                        {roles.map((r) => (
                          <label key={r.key} className={selected.includes(r.key) ? 'chip chip-on' : 'chip'} title={r.description ?? undefined}>
                            <input type="checkbox" checked={selected.includes(r.key)} onChange={() => edit(toggleRole(current, group.id, r.key))} aria-label={`${r.displayName} for ${group.displayName}`} />
                            {r.displayName}
                          </label>
                        ))}
                      </fieldset>
                    </li>
                  );
                })}
                {visibleGroups.length === 0 ? <li className="muted small">{groups.loading ? 'Searching…' : `No group matches “${term}”.`}</li> : null}
                {groups.data?.nextCursor ? <li className="muted small">Showing the first {visibleGroups.length} groups: search to find others.</li> : null}
              </ul>
            </>
          )}
          {mappings.data?.updatedAt && !dirty ? <p className="muted small">Last saved {formatDateTime(mappings.data.updatedAt)}.</p> : null}
          {dirty ? (
            <div className="preview" aria-live="polite" data-testid="role-preview">
              <strong>If you save:</strong>{' '}
              {!previewForCurrent ? (
                <span className="muted">calculating…</span>
              ) : 'error' in previewForCurrent ? (
                <span className="text-danger">{previewForCurrent.error.message}</span>
              ) : previewLines(previewForCurrent.result.roles, roleName).length === 0 ? (
                <span>no user gains or loses a role.</span>
              ) : (
                <ul>
                  {previewLines(previewForCurrent.result.roles, roleName).map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              )}
            </div>
          ) : null}
          {error ? <ErrorNotice error={error} /> : null}
          {notice && !dirty ? (
            <p className="text-success small" role="status">
              {notice}
            </p>
          ) : null}
          <div className="card-footer">
            <button type="button" className="button" onClick={cancel} disabled={!dirty || saving}>
              Cancel
            </button>
            <button type="button" className="button button-primary" onClick={() => void save()} disabled={!dirty || saving}>
              {saving ? 'Saving…' : 'Save'}
            </button>
          </div>
        </div>
      )}
    </Card>
  );
}
