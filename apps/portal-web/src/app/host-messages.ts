/**
 * Events for the page that embeds the portal in an iframe (the app's own settings page):
 * `window.parent.postMessage({source: 'scimbridge-portal', type, ...})`, sent only to the embedding
 * page's origin (CSP `frame-ancestors` already limits who that can be), never to `*`.
 */
export const MESSAGE_SOURCE = 'scimbridge-portal';

export type HostMessage =
  | { readonly type: 'loaded'; readonly organizationId: string }
  | { readonly type: 'directory.enabled'; readonly directoryId: string }
  | { readonly type: 'directory.disabled'; readonly directoryId: string }
  | { readonly type: 'directory.deleted'; readonly directoryId: string }
  | { readonly type: 'session.expiring'; readonly expiresAt: string }
  | { readonly type: 'session.expired' };

export interface FrameContext {
  /** window.parent === window when not framed. */
  readonly framed: boolean;
  /** location.ancestorOrigins[0] where the browser has it (Chromium, Safari). */
  readonly ancestorOrigin: string | undefined;
  readonly referrer: string;
}

/** The origin to post to, or undefined when not framed or the embedder cannot be told. */
export function hostOrigin(context: FrameContext): string | undefined {
  if (!context.framed) return undefined;
  if (context.ancestorOrigin && context.ancestorOrigin !== 'null') return context.ancestorOrigin;
  try {
    const origin = new URL(context.referrer).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

export type PostMessage = (message: unknown, targetOrigin: string) => void;

/** Sends `message` to the embedding page; returns whether it was sent. */
export function notifyHost(message: HostMessage, context: FrameContext, post: PostMessage): boolean {
  const origin = hostOrigin(context);
  if (!origin) return false;
  post({ source: MESSAGE_SOURCE, ...message }, origin);
  return true;
}

/** This window's frame context and poster (the browser edge of the module). */
export function browserFrame(): { context: FrameContext; post: PostMessage } | undefined {
  if (typeof window === 'undefined') return undefined;
  const framed = window.parent !== window;
  const ancestors = (window.location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  return {
    context: { framed, ancestorOrigin: ancestors && ancestors.length > 0 ? (ancestors[0] ?? undefined) : undefined, referrer: document.referrer },
    post: (message, origin) => window.parent.postMessage(message, origin),
  };
}

export function postToHost(message: HostMessage): void {
  const frame = browserFrame();
  if (frame) notifyHost(message, frame.context, frame.post);
}

/** Warn this long before the session ends. */
export const EXPIRY_WARNING_MS = 5 * 60_000;

export type SessionPhase = 'active' | 'expiring' | 'expired';

/** Where a session stands at `now`, and in how many ms that changes next (undefined: never). */
export function sessionPhase(expiresAt: string | null, now: number, warningMs = EXPIRY_WARNING_MS): { phase: SessionPhase; changesInMs: number | undefined } {
  if (expiresAt === null) return { phase: 'active', changesInMs: undefined };
  const end = Date.parse(expiresAt);
  if (!Number.isFinite(end)) return { phase: 'active', changesInMs: undefined };
  if (now >= end) return { phase: 'expired', changesInMs: undefined };
  if (now >= end - warningMs) return { phase: 'expiring', changesInMs: end - now };
  return { phase: 'active', changesInMs: end - warningMs - now };
}
