import { useState } from 'react';
import type { Api, DirectoryView, OverviewView } from '../api';
import { STATUS_LABELS, type Tone } from '../format';
import { providerById } from '../providers';
import { usePoll } from '../use-poll';
import { Badge, Spinner, TabPanel, Tabs } from '../ui';
import { ConfigurationTab } from './configuration-tab';
import { EventsTab } from './events-tab';
import { GroupsTab } from './groups-tab';
import type { FreshToken } from './scim-provisioning';
import { UsersTab } from './users-tab';

type SubTab = 'configuration' | 'users' | 'groups' | 'events';

const STATUS_TONES: Record<OverviewView['status'], Tone> = { waiting_for_first_request: 'warning', connected: 'success', error: 'danger', disabled: 'neutral' };

/** How often the overview (status, counts, position) is polled: the portal's heartbeat for live updates. */
export const OVERVIEW_POLL_MS = 1000;

export interface DirectoryPageProps {
  readonly api: Api;
  readonly directory: DirectoryView;
  readonly directories: readonly DirectoryView[];
  readonly onSelectDirectory: (id: string) => void;
  readonly onAddDirectory: () => void;
  readonly fresh: FreshToken | undefined;
  readonly onFreshToken: (token: FreshToken) => void;
  readonly onDismissFresh: () => void;
  /** The directory was deleted: back to the organization's other directories, or the provider choice. */
  readonly onDeleted: (directory: DirectoryView, counts: { users: number; groups: number } | undefined) => void;
}

export function DirectoryPage(props: DirectoryPageProps) {
  const { api, directory } = props;
  const [tab, setTab] = useState<SubTab>('configuration');
  // Through the organization's list: portal-query learns a new directory from its event a moment after
  // the ingress made it, and the list simply lacks it until then (the single-directory path is a 404).
  const overview = usePoll(
    `overview:${directory.id}`,
    async () => {
      const list = await api.get<{ directories: OverviewView[]; position: string }>(`/organizations/${directory.organizationId}/directory-overviews`);
      const found = list.directories.find((d) => d.id === directory.id);
      return found ? { ...found, position: list.position } : undefined;
    },
    OVERVIEW_POLL_MS,
  );
  const provider = providerById(directory.provider);
  const data = overview.data;
  const counts = data?.counts;

  return (
    <div className="stack">
      <div className="directory-header">
        <div className="directory-title">
          <span className={`provider-logo provider-${provider.id}`} aria-hidden="true">
            {provider.label.slice(0, 1)}
          </span>
          <div>
            <h1>{directory.name ?? provider.label}</h1>
            <div className="muted small">
              {provider.label} · SCIM 2.0 directory
              {data ? (
                <>
                  {' · '}
                  <Badge tone={STATUS_TONES[data.status]}>
                    <span data-testid="directory-status" data-status={data.status}>
                      {STATUS_LABELS[data.status]}
                    </span>
                  </Badge>
                </>
              ) : null}
            </div>
          </div>
        </div>
        <div className="directory-switch">
          {props.directories.length > 1 ? (
            <label className="inline-field">
              <span className="sr-only">Directory</span>
              <select value={directory.id} onChange={(e) => props.onSelectDirectory(e.target.value)}>
                {props.directories.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name ?? providerById(d.provider).label}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <button type="button" className="button" onClick={props.onAddDirectory}>
            Add directory
          </button>
        </div>
      </div>
      {overview.error && !data ? (
        <div className="notice notice-danger" role="alert">
          Status and counts are unavailable right now ({overview.error.message}). Retrying…
        </div>
      ) : null}
      <Tabs<SubTab>
        idPrefix="directory"
        label="Directory sections"
        variant="secondary"
        selected={tab}
        onSelect={setTab}
        items={[
          { key: 'configuration', label: 'Configuration' },
          { key: 'users', label: <>Users{counts ? <span className="tab-count" data-testid="users-count">{counts.users}</span> : null}</> },
          { key: 'groups', label: <>Groups{counts ? <span className="tab-count" data-testid="groups-count">{counts.groups}</span> : null}</> },
          { key: 'events', label: 'Events' },
        ]}
      />
      <TabPanel idPrefix="directory" selected={tab}>
        {tab === 'configuration' ? (
          <ConfigurationTab {...props} overview={data} overviewLoading={overview.loading} onOpenTab={setTab} />
        ) : !data ? (
          <Spinner label="Setting up the directory…" />
        ) : tab === 'users' ? (
          <UsersTab api={api} directoryId={directory.id} position={data?.position} />
        ) : tab === 'groups' ? (
          <GroupsTab api={api} directoryId={directory.id} position={data?.position} />
        ) : (
          <EventsTab api={api} directoryId={directory.id} />
        )}
      </TabPanel>
    </div>
  );
}
