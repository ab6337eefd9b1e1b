import { useCallback, useEffect, useState } from 'react';
import { query, type Api, type EventEntry, type GroupView, type Page, type UserDetail, type UserRoles, type UserSummary } from '../api';
import { formatDateTime, plural, userLabel } from '../format';
import { useDebounced, usePoll } from '../use-poll';
import { Badge, EmptyState, ErrorNotice, Facts, SidePanel, Spinner } from '../ui';

const PAGE_SIZE = 25;

const SORTS = {
  'userName:asc': 'Username (A–Z)',
  'displayName:asc': 'Name (A–Z)',
  'createdAt:desc': 'Newest first',
  'updatedAt:desc': 'Recently updated',
} as const;
type SortKey = keyof typeof SORTS;

/** Refetch whenever the read models move on (the overview's position changes): live, without a reload. */
export function useReloadOn(position: string | undefined, reload: () => void): void {
  useEffect(() => {
    if (position) reload();
  }, [position, reload]);
}

export function UsersTab({ api, directoryId, position }: { api: Api; directoryId: string; position: string | undefined }) {
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<'' | 'active' | 'inactive'>('');
  const [groupId, setGroupId] = useState('');
  const [sort, setSort] = useState<SortKey>('userName:asc');
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [openUser, setOpenUser] = useState<string | undefined>();
  const term = useDebounced(search.trim(), 250);
  const cursor = cursors[cursors.length - 1];
  const [sortField, order] = sort.split(':') as [string, string];
  const path = `/directories/${directoryId}/users${query({ search: term, status, groupId, sort: sortField, order, cursor, limit: PAGE_SIZE })}`;
  const users = usePoll(path, () => api.get<Page<UserSummary>>(path), 0);
  useReloadOn(position, users.reload);
  const groups = usePoll(`groups-filter:${directoryId}`, () => api.get<Page<GroupView>>(`/directories/${directoryId}/groups?limit=200&sort=displayName`), 0);
  useReloadOn(position, groups.reload);
  const resetPages = (): void => setCursors([undefined]);
  const close = useCallback(() => setOpenUser(undefined), []);

  const filtered = term !== '' || status !== '' || groupId !== '';
  const page = users.data;
  return (
    <div className="stack">
      <div className="toolbar" role="search">
        <input type="search" className="search" placeholder="Search by name, username or email" aria-label="Search users" value={search} onChange={(e) => (setSearch(e.target.value), resetPages())} />
        <select aria-label="Status" value={status} onChange={(e) => (setStatus(e.target.value as typeof status), resetPages())}>
          <option value="">All statuses</option>
          <option value="active">Active</option>
          <option value="inactive">Deactivated</option>
        </select>
        <select aria-label="Group" value={groupId} onChange={(e) => (setGroupId(e.target.value), resetPages())}>
          <option value="">All groups</option>
          {(groups.data?.items ?? []).map((g) => (
            <option key={g.id} value={g.id}>
              {g.displayName}
            </option>
          ))}
        </select>
        <select aria-label="Sort" value={sort} onChange={(e) => (setSort(e.target.value as SortKey), resetPages())}>
          {Object.entries(SORTS).map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {users.error && !page ? <ErrorNotice error={users.error} onRetry={users.reload} /> : null}
      {users.loading && !page ? <Spinner label="Loading users…" /> : null}
      {page && page.items.length === 0 ? (
        <EmptyState title={filtered ? 'No user matches these filters' : 'No users yet'}>
          {filtered ? <p>Try another search or clear the filters.</p> : <p>Users appear here within a second of your identity provider pushing them — no reload needed.</p>}
        </EmptyState>
      ) : null}
      {page && page.items.length > 0 ? (
        <div className="table-wrap">
          <table className="table" data-testid="users-table">
            <caption className="sr-only">Users synced from the directory</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Status</th>
                <th scope="col" className="hide-narrow">Groups</th>
                <th scope="col" className="hide-narrow">Roles</th>
                <th scope="col" className="hide-narrow">Updated</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((u) => (
                <tr key={u.id} className="clickable" onClick={() => setOpenUser(u.id)} data-testid="user-row" data-user-name={u.userName}>
                  <td>
                    <button type="button" className="link-button" onClick={(e) => (e.stopPropagation(), setOpenUser(u.id))}>
                      {userLabel(u)}
                    </button>
                    <div className="muted small">{u.primaryEmail ?? u.userName}</div>
                  </td>
                  <td>{u.active ? <Badge tone="success">Active</Badge> : <Badge>Deactivated</Badge>}</td>
                  <td className="hide-narrow">{u.groups.map((g) => g.displayName).join(', ') || <span className="muted">—</span>}</td>
                  <td className="hide-narrow">{u.roles.map((r) => r.role).join(', ') || <span className="muted">—</span>}</td>
                  <td className="hide-narrow muted small">{formatDateTime(u.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {page ? (
        <div className="pager">
          <span className="muted small">
            {page.totalCapped ? `More than ${page.total.toLocaleString('en-US')} users` : plural(page.total, 'user')}
            {cursors.length > 1 ? ` · page ${cursors.length}` : ''}
          </span>
          <div className="pager-buttons">
            <button type="button" className="button button-small" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
              Previous
            </button>
            <button type="button" className="button button-small" disabled={!page.nextCursor} onClick={() => page.nextCursor && setCursors((c) => [...c, page.nextCursor ?? undefined])}>
              Next
            </button>
          </div>
        </div>
      ) : null}
      {openUser ? <UserPanel api={api} directoryId={directoryId} userId={openUser} position={position} onClose={close} /> : null}
    </div>
  );
}

/** Everything about one user: ids, attributes, groups, roles and why, recent events, the raw SCIM resource. */
export function UserPanel({ api, directoryId, userId, position, onClose }: { api: Api; directoryId: string; userId: string; position: string | undefined; onClose: () => void }) {
  const base = `/directories/${directoryId}/users/${encodeURIComponent(userId)}`;
  const user = usePoll(`user:${base}`, () => api.get<UserDetail>(base), 0);
  const roles = usePoll(`user-roles:${base}`, () => api.get<UserRoles>(`${base}/roles`), 2000);
  const events = usePoll(`user-events:${base}`, () => api.get<{ items: EventEntry[] }>(`/directories/${directoryId}/events?limit=200&withRequests=false`), 0);
  useReloadOn(position, user.reload);
  useReloadOn(position, events.reload);
  const u = user.data;
  const history = (events.data?.items ?? []).filter((e) => e.subject.endsWith(`:${userId}`) || JSON.stringify(e.data).includes(JSON.stringify(userId)));
  return (
    <SidePanel title={u ? userLabel(u) : 'User'} subtitle={u ? u.userName : undefined} onClose={onClose}>
      {user.error && !u ? <ErrorNotice error={user.error} onRetry={user.reload} /> : null}
      {!u && !user.error ? <Spinner /> : null}
      {u ? (
        <div className="stack" data-testid="user-panel">
          <section>
            <h3 className="subheading">Identity</h3>
            <Facts
              rows={[
                ['Status', u.active ? <Badge tone="success">Active</Badge> : <Badge>Deactivated</Badge>],
                ['User ID', <span className="mono">{u.id}</span>],
                ['External ID', u.externalId ? <span className="mono">{u.externalId}</span> : '—'],
                ['Username', u.userName],
                ['Email', u.emails.map((e) => `${e.value}${e.primary ? ' (primary)' : ''}`).join(', ') || '—'],
                ['Title', u.title ?? '—'],
                ['Department', u.department ?? '—'],
                ['Created', formatDateTime(u.createdAt)],
                ['Updated', formatDateTime(u.updatedAt)],
              ]}
            />
          </section>
          <section>
            <h3 className="subheading">Groups</h3>
            {u.groups.length === 0 ? <p className="muted small">Not in any group.</p> : (
              <ul className="pill-list">
                {u.groups.map((g) => (
                  <li key={g.id} className="pill">
                    {g.displayName}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section data-testid="user-roles">
            <h3 className="subheading">Roles</h3>
            {roles.error && !roles.data ? <ErrorNotice error={roles.error} onRetry={roles.reload} /> : null}
            {roles.data && roles.data.roles.length === 0 ? <p className="muted small">No role: no mapped group and no default role applies.</p> : null}
            <ul className="role-reasons">
              {(roles.data?.roles ?? []).map((r) => (
                <li key={r.role} data-role={r.role}>
                  <strong>{r.displayName ?? r.role}</strong>{' '}
                  <span className="muted small">
                    {r.source === 'default' ? 'default role for users without a mapped group' : `via ${r.viaGroups.map((g) => g.displayName ?? g.groupId).join(', ')}`} · since {formatDateTime(r.since)}
                  </span>
                </li>
              ))}
            </ul>
          </section>
          <section>
            <h3 className="subheading">History</h3>
            {history.length === 0 ? <p className="muted small">No recent events.</p> : (
              <ol className="timeline">
                {history.slice(0, 30).map((e) => (
                  <li key={e.id}>
                    <span className="event-type">{e.type}</span> <span className="muted small">{formatDateTime(e.occurredAt)}</span>
                  </li>
                ))}
              </ol>
            )}
          </section>
          <section>
            <details>
              <summary>Raw SCIM payload</summary>
              <pre className="code" data-testid="raw-payload">{JSON.stringify(u.attributes, null, 2)}</pre>
            </details>
          </section>
        </div>
      ) : null}
    </SidePanel>
  );
}
