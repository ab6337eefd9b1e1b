import { Fragment, useState } from 'react';
import { PUBLIC_EVENT_TYPES, query, type Api, type ScimRequestEntry } from '../api';
import { formatDateTime, isFailure } from '../format';
import { usePoll } from '../use-poll';
import { Badge, EmptyState, ErrorNotice, Spinner } from '../ui';

/** What SCIM requests produce (the filter of this tab): the user and group events, resyncs aside. */
const EVENT_TYPES = PUBLIC_EVENT_TYPES.filter((t) => /^(User|Group)/.test(t) && !t.endsWith('Resynced'));

/** The directory's recent SCIM requests (newest first) and the events each produced; failures highlighted. */
export function EventsTab({ api, directoryId }: { api: Api; directoryId: string }) {
  const [failuresOnly, setFailuresOnly] = useState(false);
  const [type, setType] = useState('');
  const [expanded, setExpanded] = useState<string | undefined>();
  const [limit, setLimit] = useState(100);
  const path = `/directories/${directoryId}/scim-requests${query({ limit })}`;
  // The request log lives in the ingress, off the event path: polled on its own, not by position.
  const requests = usePoll(path, () => api.get<{ requests: ScimRequestEntry[] }>(path), 2000);
  const all = requests.data?.requests ?? [];
  const shown = all.filter((r) => (!failuresOnly || isFailure(r.status)) && (type === '' || r.events.some((e) => e.type === type)));
  return (
    <div className="stack">
      <div className="toolbar">
        <select aria-label="Event type" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">All event types</option>
          {EVENT_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <label className="checkbox">
          <input type="checkbox" checked={failuresOnly} onChange={(e) => setFailuresOnly(e.target.checked)} /> Failures only
        </label>
      </div>
      {requests.error && !requests.data ? <ErrorNotice error={requests.error} onRetry={requests.reload} /> : null}
      {requests.loading && !requests.data ? <Spinner label="Loading requests…" /> : null}
      {requests.data && shown.length === 0 ? (
        <EmptyState title={all.length === 0 ? 'No SCIM requests yet' : 'No request matches these filters'}>
          {all.length === 0 ? <p>Requests from your identity provider show up here, with the events they produced.</p> : null}
        </EmptyState>
      ) : null}
      {shown.length > 0 ? (
        <div className="table-wrap">
          <table className="table" data-testid="requests-table">
            <caption className="sr-only">Recent SCIM requests</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Request</th>
                <th scope="col">Status</th>
                <th scope="col" className="hide-narrow">Events</th>
                <th scope="col">
                  <span className="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => {
                const failed = isFailure(r.status);
                return (
                  <Fragment key={r.id}>
                    <tr className={failed ? 'row-failed' : ''} data-testid="request-row" data-status={r.status}>
                      <td className="small nowrap">{formatDateTime(r.receivedAt)}</td>
                      <td className="mono small">
                        {r.method} {r.path}
                      </td>
                      <td>
                        <Badge tone={failed ? 'danger' : r.status >= 400 ? 'warning' : 'success'}>{r.status}</Badge>
                      </td>
                      <td className="hide-narrow small">{r.events.map((e) => e.type).join(', ') || <span className="muted">—</span>}</td>
                      <td>
                        <button type="button" className="button button-small button-ghost" aria-expanded={expanded === r.id} onClick={() => setExpanded(expanded === r.id ? undefined : r.id)}>
                          {expanded === r.id ? 'Hide' : 'Details'}
                        </button>
                      </td>
                    </tr>
                    {expanded === r.id ? (
                      <tr className="row-details">
                        <td colSpan={5}>
                          <div className="details-grid">
                            <div>
                              <div className="muted small">
                                Request {r.requestId} · {Math.round(r.latencyMs)} ms
                              </div>
                              {r.error ? <p className="text-danger small">{r.error}</p> : null}
                              {r.events.length > 0 ? (
                                <ul className="small">
                                  {r.events.map((e) => (
                                    <li key={e.id}>
                                      <span className="event-type">{e.type}</span> <span className="muted mono">{e.streamId}</span>
                                    </li>
                                  ))}
                                </ul>
                              ) : null}
                            </div>
                            <pre className="code">{r.requestBody === null || r.requestBody === undefined ? '(no body)' : JSON.stringify(r.requestBody, null, 2)}</pre>
                          </div>
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {all.length >= limit && limit < 1000 ? (
        <div className="pager">
          <span className="muted small">Showing the latest {limit} requests</span>
          <button type="button" className="button button-small" onClick={() => setLimit((l) => Math.min(1000, l * 2 + 200))}>
            Show older requests
          </button>
        </div>
      ) : null}
    </div>
  );
}
