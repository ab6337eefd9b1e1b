import { Inject, Injectable } from '@nestjs/common';
import type { ScimRequestLogEntry } from '@scimbridge/contracts';
import { SERVICE_CONFIG } from '@scimbridge/service-kit';
import type { portalQueryConfig } from '../portal-query.config';

/** One entry of the ingress's SCIM request log, as its management API returns it. */
export type IngressRequest = ScimRequestLogEntry;

export interface IngressToken {
  readonly id: string;
  readonly lastFour: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

export type IngressAnswer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/**
 * The ingress's management API, for the facts only it has: the SCIM request log (support data it keeps
 * off the event path, so never in events) and its tokens' last use. Every call is bounded by
 * SCIM_INGRESS_TIMEOUT_MS; a failure is an answer (`ok: false`), so a query never fails because the
 * ingress is slow or down — it says which facts are missing instead.
 */
@Injectable()
export class IngressClient {
  private readonly base: string;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: portalQueryConfig) {
    this.base = `${config.SCIM_INGRESS_URL.replace(/\/+$/, '')}/api/v1`;
  }

  /** The newest requests first; `before` is a request-log id (pages back). */
  requests(directoryId: string, limit: number, before?: string): Promise<IngressAnswer<{ requests: IngressRequest[]; next: string | null }>> {
    const query = new URLSearchParams({ limit: String(limit), ...(before ? { before } : {}) });
    return this.get(`/directories/${directoryId}/scim-requests?${query.toString()}`);
  }

  async tokens(directoryId: string): Promise<IngressAnswer<IngressToken[]>> {
    const answer = await this.get<{ tokens: IngressToken[] }>(`/directories/${directoryId}/tokens`);
    return answer.ok ? { ok: true, value: answer.value.tokens } : answer;
  }

  /**
   * The request behind each of `events` (by event id; the request log lists the ids of the events each
   * request caused), reading the log back from the newest entry until it is older than the oldest event
   * or 2,100 entries are read (pages of 100, 1,000, 1,000: the log's entries carry their request bodies,
   * and the newest page of events is usually in the first few). Events older than that, or than the
   * log's retention, get none.
   */
  async requestsForEvents(directoryId: string, events: readonly { readonly id: string; readonly occurredAt: string }[], pageSizes: readonly number[] = [100, 1_000, 1_000]): Promise<IngressAnswer<Map<string, IngressRequest>>> {
    const wanted = new Set(events.map((e) => e.id));
    const found = new Map<string, IngressRequest>();
    if (wanted.size === 0) return { ok: true, value: found };
    // A request is logged when it is answered, after its events were stamped: allow some slack.
    const oldest = Math.min(...events.map((e) => Date.parse(e.occurredAt))) - 60_000;
    let before: string | undefined;
    for (const size of pageSizes) {
      const answer = await this.requests(directoryId, size, before);
      if (!answer.ok) return answer;
      for (const request of answer.value.requests) {
        for (const e of request.events) if (wanted.has(e.id)) found.set(e.id, request);
      }
      const last = answer.value.requests[answer.value.requests.length - 1];
      if (found.size === wanted.size || !answer.value.next || !last || Date.parse(last.receivedAt) < oldest) break;
      before = answer.value.next;
    }
    return { ok: true, value: found };
  }

  private async get<T>(path: string): Promise<IngressAnswer<T>> {
    try {
      const response = await fetch(`${this.base}${path}`, {
        headers: { authorization: `Bearer ${this.config.MANAGEMENT_API_KEY}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.config.SCIM_INGRESS_TIMEOUT_MS),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        return { ok: false, reason: `the ingress answered ${response.status}` };
      }
      return { ok: true, value: (await response.json()) as T };
    } catch (error) {
      return { ok: false, reason: `the ingress is unreachable: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}
