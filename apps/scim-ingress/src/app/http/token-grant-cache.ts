import type { TokenGrant } from '../persistence/directories.repository';

/**
 * Valid token grants, kept for a short time so a busy IdP does not cost a token lookup per request.
 * Revoking a token or disabling a directory through this replica evicts at once; other replicas of the
 * ingress notice within `ttlMs` (SCIM_AUTH_CACHE_MS, 0 turns the cache off). Keyed by the token's
 * SHA-256, never by the secret. Failed lookups are not cached (they are rate-limited instead).
 */
export class TokenGrantCache {
  private readonly entries = new Map<string, { grant: TokenGrant; until: number }>();

  constructor(private readonly ttlMs: number) {}

  get(hash: Buffer, now = Date.now()): TokenGrant | undefined {
    if (this.ttlMs <= 0) return undefined;
    const key = hash.toString('base64');
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.grant;
  }

  set(hash: Buffer, grant: TokenGrant, now = Date.now()): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= 10_000) this.entries.clear();
    this.entries.set(hash.toString('base64'), { grant, until: now + this.ttlMs });
  }

  evictDirectory(directoryId: string): void {
    for (const [key, entry] of this.entries) if (entry.grant.directoryId === directoryId) this.entries.delete(key);
  }
}
