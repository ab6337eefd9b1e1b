import type { DirectoryStatus, OverviewView } from './api';

/** "4 s ago", "3 min ago", "2 h ago", "5 d ago"; "just now" below one second and for clock skew. */
export function timeAgo(iso: string, now: number): string {
  const seconds = Math.floor((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds) || seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export type Tone = 'neutral' | 'success' | 'warning' | 'danger';

export interface ConnectionSummary {
  readonly tone: Tone;
  readonly title: string;
  readonly detail: string | null;
}

/** What the connection status card says, from the overview (pure, so it is unit-tested). */
export function connectionSummary(overview: Pick<OverviewView, 'status' | 'lastRequest' | 'lastError'>, providerLabel: string, now: number): ConnectionSummary {
  const last = overview.lastRequest;
  const request = last ? `${last.method} ${last.path} → ${last.status}` : null;
  switch (overview.status) {
    case 'disabled':
      return { tone: 'neutral', title: 'Directory disabled', detail: `Requests from ${providerLabel} are refused (401) until you enable it again.` };
    case 'waiting_for_first_request':
      return { tone: 'warning', title: `Waiting for the first request from ${providerLabel}`, detail: 'Paste the Endpoint URL and Bearer Token into your identity provider and enable provisioning.' };
    case 'connected':
      return { tone: 'success', title: last ? `Connected — last request ${timeAgo(last.at, now)}` : 'Connected', detail: request };
    case 'error': {
      const reason = last?.status === 401 ? 'the bearer token is missing, revoked or expired' : (last?.error ?? overview.lastError?.error ?? null);
      return {
        tone: 'danger',
        title: last ? `Last request failed with ${last.status} — ${timeAgo(last.at, now)}` : 'Last request failed',
        detail: [request, reason].filter((p): p is string => p !== null).join(': ') || null,
      };
    }
    default:
      return assertNever(overview.status);
  }
}

export const STATUS_LABELS: Record<DirectoryStatus, string> = {
  waiting_for_first_request: 'Waiting',
  connected: 'Connected',
  error: 'Error',
  disabled: 'Disabled',
};

export function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}

/** A count with its noun, singular or plural. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : nouns}`;
}

export function userLabel(user: { displayName: string | null; givenName: string | null; familyName: string | null; userName: string }): string {
  return user.displayName || [user.givenName, user.familyName].filter(Boolean).join(' ') || user.userName;
}

/** True for HTTP statuses that are failures worth highlighting (not 404/409, which IdPs expect in a sync). */
export function isFailure(status: number): boolean {
  return status >= 400 && status !== 404 && status !== 409;
}
