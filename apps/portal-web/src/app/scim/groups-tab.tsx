import { useCallback, useState } from 'react';
import { query, type Api, type GroupView, type Page, type UserSummary } from '../api';
import { formatDateTime, plural, userLabel } from '../format';
import { useDebounced, usePoll } from '../use-poll';
import { Badge, EmptyState, ErrorNotice, Facts, SidePanel, Spinner } from '../ui';
import { useReloadOn } from './users-tab';

const PAGE_SIZE = 25;
const SORTS = { 'displayName:asc': 'Name (A–Z)', 'createdAt:desc': 'Newest first', 'updatedAt:desc': 'Recently updated' } as const;
type SortKey = keyof typeof SORTS;

export function GroupsTab({ api, directoryId, position }: { api: Api; directoryId: string; position: string | undefined }) {
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<SortKey>('displayName:asc');
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [open, setOpen] = useState<GroupView | undefined>();
  const term = useDebounced(search.trim(), 250);
  const [sortField, order] = sort.split(':') as [string, string];
  const path = `/directories/${directoryId}/groups${query({ search: term, sort: sortField, order, cursor: cursors[cursors.length - 1], limit: PAGE_SIZE })}`;
  const groups = usePoll(path, () => api.get<Page<GroupView>>(path), 0);
  useReloadOn(position, groups.reload);
  const close = useCallback(() => setOpen(undefined), []);
  const page = groups.data;
  return (
    <div className="stack">
      <div className="toolbar" role="search">
        <input type="search" className="search" placeholder="Search groups" aria-label="Search groups" value={search} onChange={(e) => (setSearch(e.target.value), setCursors([undefined]))} />
        <select aria-label="Sort" value={sort} onChange={(e) => (setSort(e.target.value as SortKey), setCursors([undefined]))}>
          {Object.entries(SORTS).map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {groups.error && !page ? <ErrorNotice error={groups.error} onRetry={groups.reload} /> : null}
      {groups.loading && !page ? <Spinner label="Loading groups…" /> : null}
      {page && page.items.length === 0 ? (
        <EmptyState title={term ? `No group matches “${term}”` : 'No groups yet'}>
          {term ? null : <p>Groups appear here as soon as your identity provider pushes them (OneLogin: Parameters → Groups → “Include in User Provisioning”, and a “Set Groups in …” rule).</p>}
        </EmptyState>
      ) : null}
      {page && page.items.length > 0 ? (
        <div className="table-wrap">
          <table className="table" data-testid="groups-table">
            <caption className="sr-only">Groups synced from the directory</caption>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Members</th>
                <th scope="col" className="hide-narrow">Roles</th>
                <th scope="col" className="hide-narrow">Updated</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((g) => (
                <tr key={g.id} className="clickable" onClick={() => setOpen(g)} data-testid="group-row" data-group-name={g.displayName}>
                  <td>
                    <button type="button" className="link-button" onClick={(e) => (e.stopPropagation(), setOpen(g))}>
                      {g.displayName}
                    </button>
                  </td>
                  <td>{g.memberCount}</td>
                  <td className="hide-narrow">{g.roles.length > 0 ? g.roles.map((r) => <Badge key={r}>{r}</Badge>) : <span className="muted">—</span>}</td>
                  <td className="hide-narrow muted small">{formatDateTime(g.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {page ? (
        <div className="pager">
          <span className="muted small">{page.totalCapped ? `More than ${page.total} groups` : plural(page.total, 'group')}</span>
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
      {open ? <GroupPanel api={api} directoryId={directoryId} group={open} position={position} onClose={close} /> : null}
    </div>
  );
}

function GroupPanel({ api, directoryId, group: clicked, position, onClose }: { api: Api; directoryId: string; group: GroupView; position: string | undefined; onClose: () => void }) {
  const base = `/directories/${directoryId}/groups/${encodeURIComponent(clicked.id)}`;
  const detail = usePoll(`group:${base}`, () => api.get<GroupView>(base), 0);
  const members = usePoll(`${base}/members`, () => api.get<Page<UserSummary>>(`${base}/members?limit=200&sort=userName`), 0);
  useReloadOn(position, detail.reload);
  useReloadOn(position, members.reload);
  const group = detail.data ?? clicked;
  return (
    <SidePanel title={group.displayName} subtitle={plural(group.memberCount, 'member')} onClose={onClose}>
      <div className="stack" data-testid="group-panel">
        <Facts
          rows={[
            ['Group ID', <span className="mono">{group.id}</span>],
            ['External ID', group.externalId ? <span className="mono">{group.externalId}</span> : '—'],
            ['Roles', group.roles.length > 0 ? group.roles.join(', ') : 'None — map it under Configuration → Group based role assignment'],
            ['Created', formatDateTime(group.createdAt)],
          ]}
        />
        <h3 className="subheading">Members</h3>
        {members.error && !members.data ? <ErrorNotice error={members.error} onRetry={members.reload} /> : null}
        {!members.data && !members.error ? <Spinner /> : null}
        {members.data && members.data.items.length === 0 ? <p className="muted small">No members.</p> : null}
        <ul className="member-list">
          {(members.data?.items ?? []).map((m) => (
            <li key={m.id}>
              <strong>{userLabel(m)}</strong> <span className="muted small">{m.primaryEmail ?? m.userName}</span> {m.active ? null : <Badge>Deactivated</Badge>}
            </li>
          ))}
        </ul>
        {members.data?.nextCursor ? <p className="muted small">Showing the first 200 members.</p> : null}
      </div>
    </SidePanel>
  );
}
