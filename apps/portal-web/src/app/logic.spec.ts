import { EVENT_TYPES } from '@scimbridge/contracts';
import { ApiError, CSRF_HEADER, createApi, errorMessage, query, PUBLIC_EVENT_TYPES } from './api';
import { connectionSummary, isFailure, timeAgo } from './format';
import { hostOrigin, MESSAGE_SOURCE, notifyHost, sessionPhase } from './host-messages';
import { bodyOf, draftFrom, previewLines, sameDraft, toggleRole } from './role-mapping-draft';

const now = Date.parse('2026-12-04T12:00:00Z');
const ago = (ms: number): string => new Date(now - ms).toISOString();

describe('connectionSummary', () => {
  const base = { lastRequest: null, lastError: null };
  it('waits for the first request from the provider', () => {
    expect(connectionSummary({ ...base, status: 'waiting_for_first_request' }, 'OneLogin', now)).toMatchObject({ tone: 'warning', title: 'Waiting for the first request from OneLogin' });
  });
  it('says connected and how long ago the last request came', () => {
    const s = connectionSummary({ ...base, status: 'connected', lastRequest: { at: ago(4_000), method: 'GET', path: '/Users', status: 200, error: null } }, 'OneLogin', now);
    expect(s).toMatchObject({ tone: 'success', title: 'Connected — last request 4 s ago', detail: 'GET /Users → 200' });
  });
  it('shows the failing request, and what a 401 means', () => {
    const s = connectionSummary({ ...base, status: 'error', lastRequest: { at: ago(2_000), method: 'POST', path: '/Users', status: 401, error: null } }, 'OneLogin', now);
    expect(s.tone).toBe('danger');
    expect(s.title).toBe('Last request failed with 401 — 2 s ago');
    expect(s.detail).toBe('POST /Users → 401: the bearer token is missing, revoked or expired');
  });
  it('says when the directory is disabled', () => {
    expect(connectionSummary({ ...base, status: 'disabled' }, 'Okta', now).title).toBe('Directory disabled');
  });
});

describe('format', () => {
  it('timeAgo', () => {
    expect(timeAgo(ago(500), now)).toBe('just now');
    expect(timeAgo(ago(-5_000), now)).toBe('just now');
    expect(timeAgo(ago(59_000), now)).toBe('59 s ago');
    expect(timeAgo(ago(3 * 60_000), now)).toBe('3 min ago');
    expect(timeAgo(ago(5 * 3_600_000), now)).toBe('5 h ago');
    expect(timeAgo(ago(3 * 86_400_000), now)).toBe('3 d ago');
  });
  it('isFailure leaves out the 404 and 409 every sync sees', () => {
    expect([200, 201, 204, 404, 409].map(isFailure)).toEqual([false, false, false, false, false]);
    expect([400, 401, 403, 429, 500].map(isFailure)).toEqual([true, true, true, true, true]);
  });
  it('query keeps only the set parameters', () => {
    expect(query({ search: 'jane doe', status: '', groupId: undefined, limit: 25, cursor: null })).toBe('?search=jane+doe&limit=25');
    expect(query({})).toBe('');
  });
});

describe('createApi', () => {
  const respond = (status: number, body: unknown): Response => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('sends the CSRF header on writes only, and JSON bodies', async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const api = createApi(async (url, init) => (calls.push({ url, init }), respond(200, { ok: true })));
    await api.get('/portal-sessions/current');
    await api.send('POST', '/directories/d/tokens', {});
    const headers = calls.map((c) => c.init?.headers as Record<string, string>);
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/portal-sessions/current', '/api/v1/directories/d/tokens']);
    expect(headers[0]?.[CSRF_HEADER]).toBeUndefined();
    expect(headers[1]?.[CSRF_HEADER]).toBe('1');
    expect(calls[1]?.init?.body).toBe('{}');
    expect(calls[1]?.init?.credentials).toBe('same-origin');
  });

  it("turns failures into ApiError with the server's message, and reports a lost session", async () => {
    let lost = 0;
    const api = createApi(async () => respond(401, { reason: 'expired', message: 'This portal link has expired.' }), () => lost++);
    const error = await api.get('/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, message: 'This portal link has expired.', body: { reason: 'expired' } });
    expect(lost).toBe(1);
    expect(errorMessage({ message: ['a', 'b'] }, 'x')).toBe('a; b');
    expect(errorMessage('oops', 'fallback')).toBe('fallback');
  });
});

describe('host messages', () => {
  it('posts only to the embedding origin, never to *', () => {
    const sent: [unknown, string][] = [];
    const post = (m: unknown, o: string): void => void sent.push([m, o]);
    expect(notifyHost({ type: 'loaded', organizationId: 'o1' }, { framed: false, ancestorOrigin: undefined, referrer: '' }, post)).toBe(false);
    expect(notifyHost({ type: 'directory.disabled', directoryId: 'd1' }, { framed: true, ancestorOrigin: 'https://app.example.com', referrer: '' }, post)).toBe(true);
    expect(notifyHost({ type: 'session.expired' }, { framed: true, ancestorOrigin: undefined, referrer: 'https://host.example.com/settings/scim?x=1' }, post)).toBe(true);
    expect(notifyHost({ type: 'session.expired' }, { framed: true, ancestorOrigin: undefined, referrer: '' }, post)).toBe(false);
    expect(sent).toEqual([
      [{ source: MESSAGE_SOURCE, type: 'directory.disabled', directoryId: 'd1' }, 'https://app.example.com'],
      [{ source: MESSAGE_SOURCE, type: 'session.expired' }, 'https://host.example.com'],
    ]);
    expect(hostOrigin({ framed: true, ancestorOrigin: 'null', referrer: 'not a url' })).toBeUndefined();
  });

  it('sessionPhase: active, then expiring in the last five minutes, then expired', () => {
    const at = (ms: number): string => new Date(now + ms).toISOString();
    expect(sessionPhase(null, now)).toEqual({ phase: 'active', changesInMs: undefined });
    expect(sessionPhase(at(60 * 60_000), now)).toEqual({ phase: 'active', changesInMs: 55 * 60_000 });
    expect(sessionPhase(at(60_000), now)).toEqual({ phase: 'expiring', changesInMs: 60_000 });
    expect(sessionPhase(at(0), now)).toEqual({ phase: 'expired', changesInMs: undefined });
  });
});

describe('role mapping draft', () => {
  const saved = draftFrom({ version: 2, mappings: [{ groupId: 'g2', groupDisplayName: 'Eng', roles: ['member'] }], defaultRole: 'viewer', defaultRoleAppliesTo: 'unassigned', updatedAt: null });

  it('toggles roles per group and builds the PUT body without empty groups', () => {
    const edited = toggleRole(toggleRole(saved, 'g1', 'admin'), 'g2', 'member');
    expect(bodyOf(edited)).toEqual({ mappings: [{ groupId: 'g1', roles: ['admin'] }], defaultRole: 'viewer', defaultRoleAppliesTo: 'unassigned' });
    expect(sameDraft(edited, saved)).toBe(false);
    expect(sameDraft(toggleRole(toggleRole(saved, 'g1', 'admin'), 'g1', 'admin'), saved)).toBe(true);
  });

  it('describes the preview in words, leaving out unchanged roles', () => {
    const lines = previewLines(
      [
        { role: 'admin', gaining: 3, losing: 0 },
        { role: 'viewer', gaining: 0, losing: 1 },
        { role: 'member', gaining: 0, losing: 0 },
      ],
      (r) => r.toUpperCase(),
    );
    expect(lines).toEqual(['ADMIN: 3 users gain', 'VIEWER: 1 user loses']);
  });
});

describe('PUBLIC_EVENT_TYPES', () => {
  it('offers exactly the public event types of the contract', () => {
    expect([...PUBLIC_EVENT_TYPES].sort()).toEqual([...EVENT_TYPES].sort());
  });
});
