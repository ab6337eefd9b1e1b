import { useState, type FormEvent } from 'react';
import { query, PUBLIC_EVENT_TYPES, type Api, type DeliveryView, type WebhookView, type WebhookWithSecret } from '../api';
import { formatDateTime, plural, timeAgo } from '../format';
import { useNow, usePoll } from '../use-poll';
import { Badge, Card, ConfirmDialog, CopyField, EmptyState, ErrorNotice, Spinner } from '../ui';

/** How often the open endpoint's delivery log is polled (deliveries and retries happen on their own). */
const DELIVERY_POLL_MS = 2000;

type StatusFilter = '' | DeliveryView['status'];

/**
 * The "Webhooks" tab: the organization's endpoints for apps that do not read Kafka — add one (URL, event
 * filter; the signing secret is shown once), enable/disable, rotate the secret, delete — and each one's
 * delivery log with its attempts and a redeliver button.
 */
export function WebhooksTab({ api, organizationId }: { api: Api; organizationId: string }) {
  const base = `/organizations/${organizationId}/webhooks`;
  const list = usePoll(`webhooks:${organizationId}`, () => api.get<{ webhooks: WebhookView[] }>(base), 0);
  const [adding, setAdding] = useState(false);
  const [selectedId, setSelectedId] = useState<string | undefined>();
  const [secret, setSecret] = useState<{ webhookId: string; secret: string } | undefined>();

  if (list.loading && !list.data) return <Spinner label="Loading webhooks…" />;
  if (list.error && !list.data) return <ErrorNotice error={list.error} onRetry={list.reload} />;
  const webhooks = list.data?.webhooks ?? [];
  const selected = webhooks.find((w) => w.id === selectedId) ?? webhooks[0];

  const onSecret = (w: WebhookWithSecret): void => {
    setSecret({ webhookId: w.id, secret: w.secret });
    setSelectedId(w.id);
    setAdding(false);
    list.reload();
  };

  return (
    <div className="stack">
      <div className="page-intro">
        <h1>Webhooks</h1>
        <p className="muted">
          Every change synced from your directories (users, groups, roles) can be sent to your endpoints as signed HTTP requests (Standard Webhooks), in order per
          directory, retried for a day when an endpoint is down.
        </p>
      </div>
      {adding || webhooks.length === 0 ? (
        <AddWebhookCard api={api} base={base} onCreated={onSecret} onCancel={webhooks.length > 0 ? () => setAdding(false) : undefined} />
      ) : (
        <div className="webhooks-layout">
          <Card
            title="Endpoints"
            actions={
              <button type="button" className="button button-small" onClick={() => setAdding(true)}>
                Add endpoint
              </button>
            }
          >
            <ul className="webhook-list" aria-label="Webhook endpoints">
              {webhooks.map((w) => (
                <li key={w.id}>
                  <button type="button" className={w.id === selected?.id ? 'webhook-item selected' : 'webhook-item'} onClick={() => setSelectedId(w.id)} aria-current={w.id === selected?.id}>
                    <span className="webhook-url">{w.url}</span>
                    <span className="muted small">
                      {w.eventTypes.length === 0 ? 'All events' : plural(w.eventTypes.length, 'event type')} · <Badge tone={w.enabled ? 'success' : 'neutral'}>{w.enabled ? 'Enabled' : 'Disabled'}</Badge>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </Card>
          {selected ? (
            <WebhookDetail
              key={selected.id}
              api={api}
              base={base}
              webhook={selected}
              secret={secret?.webhookId === selected.id ? secret.secret : undefined}
              onSecret={onSecret}
              onDismissSecret={() => setSecret(undefined)}
              onChanged={list.reload}
              onDeleted={() => {
                setSelectedId(undefined);
                list.reload();
              }}
            />
          ) : null}
        </div>
      )}
    </div>
  );
}

function AddWebhookCard({ api, base, onCreated, onCancel }: { api: Api; base: string; onCreated: (w: WebhookWithSecret) => void; onCancel: (() => void) | undefined }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [allTypes, setAllTypes] = useState(true);
  const [types, setTypes] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onCreated(await api.send<WebhookWithSecret>('POST', base, { url: url.trim(), description: description.trim() || null, eventTypes: allTypes ? [] : [...types] }));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
      setBusy(false);
    }
  };
  return (
    <Card title="Add a webhook endpoint">
      <form onSubmit={(e) => void submit(e)} className="stack">
        <label className="field">
          <span>Endpoint URL</span>
          <input type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://app.example.com/webhooks/scimbridge" aria-label="Endpoint URL" />
        </label>
        <label className="field">
          <span>Description (optional)</span>
          <input type="text" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} aria-label="Description" />
        </label>
        <fieldset className="field">
          <legend>Events</legend>
          <label className="checkbox">
            <input type="checkbox" checked={allTypes} onChange={(e) => setAllTypes(e.target.checked)} /> All events
          </label>
          {allTypes ? null : (
            <div className="event-type-grid">
              {PUBLIC_EVENT_TYPES.map((type) => (
                <label key={type} className="checkbox">
                  <input
                    type="checkbox"
                    checked={types.has(type)}
                    onChange={(e) => {
                      const next = new Set(types);
                      if (e.target.checked) next.add(type);
                      else next.delete(type);
                      setTypes(next);
                    }}
                  />{' '}
                  {type}
                </label>
              ))}
            </div>
          )}
        </fieldset>
        {error ? <ErrorNotice error={error} /> : null}
        <div className="card-footer">
          {onCancel ? (
            <button type="button" className="button" onClick={onCancel}>
              Cancel
            </button>
          ) : null}
          <button type="submit" className="button button-primary" disabled={busy || url.trim() === '' || (!allTypes && types.size === 0)}>
            {busy ? 'Adding…' : 'Add endpoint'}
          </button>
        </div>
      </form>
    </Card>
  );
}

function WebhookDetail({
  api,
  base,
  webhook,
  secret,
  onSecret,
  onDismissSecret,
  onChanged,
  onDeleted,
}: {
  api: Api;
  base: string;
  webhook: WebhookView;
  secret: string | undefined;
  onSecret: (w: WebhookWithSecret) => void;
  onDismissSecret: () => void;
  onChanged: () => void;
  onDeleted: () => void;
}) {
  const path = `${base}/${webhook.id}`;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const [confirm, setConfirm] = useState<'rotate' | 'delete' | undefined>();
  const act = async (work: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
      setConfirm(undefined);
    }
  };
  return (
    <div className="stack">
      <Card title="Endpoint" actions={<Badge tone={webhook.enabled ? 'success' : 'neutral'}>{webhook.enabled ? 'Enabled' : 'Disabled'}</Badge>}>
        <p className="webhook-url" data-testid="webhook-url">
          {webhook.url}
        </p>
        {webhook.description ? <p className="muted">{webhook.description}</p> : null}
        <p className="muted small">
          {webhook.eventTypes.length === 0 ? 'Receives every event.' : `Receives ${webhook.eventTypes.join(', ')}.`} Signing secret last set {formatDateTime(webhook.secretRotatedAt)}.
        </p>
        {webhook.enabled ? null : (
          <p className="muted small" data-testid="webhook-disabled-note">
            Disabled: events that happen now are not queued for this endpoint. After enabling it again, catch up with the events API or &ldquo;Resend everything to your app&rdquo; on a directory&rsquo;s Configuration tab.
          </p>
        )}
        {secret ? (
          <div className="fresh-token" data-testid="webhook-secret-once">
            <CopyField label="Signing secret (shown once: verify signatures with it)" value={secret} testId="webhook-secret" secret />
            <button type="button" className="button button-small" onClick={onDismissSecret}>
              I have copied it
            </button>
          </div>
        ) : null}
        {error ? <ErrorNotice error={error} /> : null}
        <div className="card-footer">
          <button type="button" className="button button-small" disabled={busy} onClick={() => void act(async () => (await api.send('PATCH', path, { enabled: !webhook.enabled }), onChanged()))}>
            {webhook.enabled ? 'Disable' : 'Enable'}
          </button>
          <button type="button" className="button button-small" disabled={busy} onClick={() => setConfirm('rotate')}>
            Rotate secret
          </button>
          <button type="button" className="button button-small button-danger-outline" disabled={busy} onClick={() => setConfirm('delete')}>
            Delete
          </button>
        </div>
        {confirm === 'rotate' ? (
          <ConfirmDialog title="Rotate the signing secret?" confirmLabel="Rotate secret" busy={busy} onCancel={() => setConfirm(undefined)} onConfirm={() => void act(async () => onSecret(await api.send<WebhookWithSecret>('POST', `${path}/secret`)))}>
            <p>Deliveries are signed with the new secret from now on; requests signed with the old one stop verifying. Update your endpoint right after.</p>
          </ConfirmDialog>
        ) : null}
        {confirm === 'delete' ? (
          <ConfirmDialog title="Delete this endpoint?" confirmLabel="Delete endpoint" busy={busy} onCancel={() => setConfirm(undefined)} onConfirm={() => void act(async () => (await api.send('DELETE', path), onDeleted()))}>
            <p>Nothing more is sent to {webhook.url}, and its delivery log is deleted with it. Your directories keep syncing.</p>
          </ConfirmDialog>
        ) : null}
      </Card>
      <DeliveryLog api={api} path={path} />
    </div>
  );
}

function DeliveryLog({ api, path }: { api: Api; path: string }) {
  const [status, setStatus] = useState<StatusFilter>('');
  const [open, setOpen] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const log = usePoll(`deliveries:${path}:${status}`, () => api.get<{ deliveries: DeliveryView[]; nextCursor: string | null }>(`${path}/deliveries${query({ status, limit: 50 })}`), DELIVERY_POLL_MS);
  const now = useNow();
  const redeliver = async (id: string): Promise<void> => {
    setError(undefined);
    try {
      await api.send('POST', `${path}/deliveries/${id}/redeliver`);
      log.reload();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  const deliveries = log.data?.deliveries ?? [];
  return (
    <Card
      title="Deliveries"
      actions={
        <select aria-label="Delivery status" value={status} onChange={(e) => setStatus(e.target.value as StatusFilter)}>
          <option value="">All</option>
          <option value="pending">Pending</option>
          <option value="succeeded">Succeeded</option>
          <option value="dead">Failed for good</option>
        </select>
      }
    >
      {error ? <ErrorNotice error={error} /> : null}
      {log.loading && !log.data ? <Spinner label="Loading deliveries…" /> : null}
      {log.error && !log.data ? <ErrorNotice error={log.error} onRetry={log.reload} /> : null}
      {log.data && deliveries.length === 0 ? (
        <EmptyState title={status === '' ? 'No deliveries yet' : 'No deliveries with this status'}>
          <p>Deliveries appear here as your directories sync.</p>
        </EmptyState>
      ) : null}
      {deliveries.length > 0 ? (
        <table className="table" aria-label="Deliveries">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">When</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <DeliveryRow key={d.id} delivery={d} now={now} open={open === d.id} onToggle={() => setOpen(open === d.id ? undefined : d.id)} onRedeliver={() => void redeliver(d.id)} />
            ))}
          </tbody>
        </table>
      ) : null}
    </Card>
  );
}

const STATUS_TONE = { pending: 'warning', succeeded: 'success', dead: 'danger' } as const;
const STATUS_LABEL = { pending: 'Pending', succeeded: 'Delivered', dead: 'Failed' } as const;

function DeliveryRow({ delivery: d, now, open, onToggle, onRedeliver }: { delivery: DeliveryView; now: number; open: boolean; onToggle: () => void; onRedeliver: () => void }) {
  return (
    <>
      <tr data-testid="delivery-row" data-status={d.status} className={d.status === 'dead' ? 'row-failed' : undefined}>
        <td>
          <button type="button" className="link-button" onClick={onToggle} aria-expanded={open}>
            {d.eventType}
          </button>
        </td>
        <td>
          <Badge tone={STATUS_TONE[d.status]}>{STATUS_LABEL[d.status]}</Badge>
        </td>
        <td>{d.attempts}</td>
        <td>{d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '—')}</td>
        <td className="muted small">
          {d.status === 'pending' && d.nextAttemptAt ? `next try ${formatDateTime(d.nextAttemptAt)}` : timeAgo(d.completedAt ?? d.createdAt, now)}
        </td>
        <td>
          {d.status !== 'pending' ? (
            <button type="button" className="button button-small" onClick={onRedeliver}>
              Redeliver
            </button>
          ) : null}
        </td>
      </tr>
      {open ? (
        <tr className="delivery-attempts">
          <td colSpan={6}>
            <p className="muted small">
              Event {d.eventId} · directory {d.directoryId}
            </p>
            {d.attemptLog.length === 0 ? (
              <p className="muted small">Not attempted yet.</p>
            ) : (
              <ol className="attempt-log">
                {d.attemptLog.map((a) => (
                  <li key={a.attempt}>
                    #{a.attempt} {formatDateTime(a.startedAt)} — {a.statusCode !== null ? `HTTP ${a.statusCode}` : (a.error ?? 'no answer')} in {a.durationMs} ms
                    {a.responseSnippet ? <pre className="response-snippet">{a.responseSnippet}</pre> : null}
                  </li>
                ))}
              </ol>
            )}
          </td>
        </tr>
      ) : null}
    </>
  );
}
