import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { PG_POOL, PortalSessionCodec, SERVICE_CONFIG, type PortalSessionClaims } from '@scimbridge/service-kit';
import type { Pool } from 'pg';
import { DirectoriesRepository } from '../persistence/directories.repository';
import type { scimIngressConfig } from '../scim-ingress.config';
import type { PortalLinkKind } from './portal-links.dto';

/** An embedded link must be loaded this soon after it was made (it is fetched right before the iframe opens). */
export const EMBEDDED_LINK_TTL_MS = 60_000;
const DEFAULT_SHAREABLE_DAYS = 7;
const DEFAULT_SESSION_MINUTES = 8 * 60;

export interface PortalLinkView {
  readonly id: string;
  readonly organizationId: string;
  readonly kind: PortalLinkKind;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly sessionMinutes: number;
  readonly revokedAt: string | null;
  readonly usedAt: string | null;
}

interface LinkRow {
  id: string;
  organization_id: string;
  kind: PortalLinkKind;
  created_at: Date;
  expires_at: Date;
  session_seconds: number;
  revoked_at: Date | null;
  used_at: Date | null;
}

/** Why a link does not open a session; the portal shows each differently. */
export type PortalLinkRefusal = 'unknown' | 'expired' | 'revoked' | 'used';

export class PortalLinkRefused extends Error {
  constructor(readonly reason: PortalLinkRefusal) {
    super(
      {
        unknown: 'This portal link is not valid. Ask for a new one.',
        expired: 'This portal link has expired. Ask for a new one.',
        revoked: 'This portal link has been revoked. Ask for a new one.',
        used: 'This portal link has already been used. Reload the page that embeds the portal to get a new one.',
      }[reason],
    );
  }
}

const hash = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * Portal links (for the app's backend: `POST /api/v1/organizations/{orgId}/portal-links`) and their
 * exchange for a session. Link tokens are 256 random bits, kept only as SHA-256 hashes; a link lives in
 * the URL's fragment, which browsers send neither to servers nor in Referer headers.
 */
@Injectable()
export class PortalLinksService {
  private readonly sessions: PortalSessionCodec;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly directories: DirectoriesRepository,
    @Inject(SERVICE_CONFIG) private readonly config: scimIngressConfig,
  ) {
    this.sessions = new PortalSessionCodec(config.MANAGEMENT_API_KEY);
  }

  async create(organizationId: string, options: { kind: PortalLinkKind; expiresInDays?: number; sessionMinutes?: number }, now: Date): Promise<PortalLinkView & { url: string }> {
    if (!(await this.directories.organization(organizationId))) throw new NotFoundException('organization not found');
    if (options.kind === 'embedded' && options.expiresInDays !== undefined) {
      throw new BadRequestException(['expiresInDays is for shareable links; an embedded link must be opened within a minute']);
    }
    const token = `pl_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(now.getTime() + (options.kind === 'embedded' ? EMBEDDED_LINK_TTL_MS : (options.expiresInDays ?? DEFAULT_SHAREABLE_DAYS) * 86_400_000));
    const { rows } = await this.pool.query<LinkRow>(
      `INSERT INTO portal_links (id, organization_id, kind, token_hash, created_at, expires_at, session_seconds)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [randomUUID(), organizationId, options.kind, hash(token), now, expiresAt, (options.sessionMinutes ?? DEFAULT_SESSION_MINUTES) * 60],
    );
    return { ...view(rows[0] as LinkRow), url: `${this.config.PORTAL_URL.replace(/\/+$/, '')}/open#token=${token}` };
  }

  async list(organizationId: string): Promise<PortalLinkView[]> {
    if (!(await this.directories.organization(organizationId))) throw new NotFoundException('organization not found');
    const { rows } = await this.pool.query<LinkRow>('SELECT * FROM portal_links WHERE organization_id = $1 ORDER BY created_at DESC LIMIT 200', [organizationId]);
    return rows.map(view);
  }

  async revoke(organizationId: string, linkId: string, now: Date): Promise<void> {
    const { rowCount } = await this.pool.query('UPDATE portal_links SET revoked_at = coalesce(revoked_at, $3) WHERE id = $1 AND organization_id = $2', [linkId, organizationId, now]);
    if (rowCount === 0) throw new NotFoundException('portal link not found');
  }

  /**
   * A session for the link's organization, or why not. An embedded link is used up atomically by the
   * first exchange (a second load of the same URL is refused).
   */
  async open(token: string, now: Date): Promise<{ session: string; claims: PortalSessionClaims; kind: PortalLinkKind; organization: { id: string; name: string } }> {
    const { rows } = await this.pool.query<LinkRow>('SELECT * FROM portal_links WHERE token_hash = $1', [hash(token)]);
    const link = rows[0];
    if (!link) throw new PortalLinkRefused('unknown');
    if (link.revoked_at) throw new PortalLinkRefused('revoked');
    if (link.expires_at.getTime() <= now.getTime()) throw new PortalLinkRefused('expired');
    if (link.kind === 'embedded') {
      const { rowCount } = await this.pool.query('UPDATE portal_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL', [link.id, now]);
      if (rowCount === 0) throw new PortalLinkRefused('used');
    } else {
      await this.pool.query('UPDATE portal_links SET used_at = $2 WHERE id = $1', [link.id, now]);
    }
    const organization = await this.directories.organization(link.organization_id);
    if (!organization) throw new PortalLinkRefused('unknown');
    const claims: PortalSessionClaims = { sid: randomUUID(), organizationId: link.organization_id, linkId: link.id, exp: Math.floor(now.getTime() / 1000) + link.session_seconds };
    return { session: this.sessions.sign(claims), claims, kind: link.kind, organization: { id: organization.id, name: organization.name } };
  }
}

function view(r: LinkRow): PortalLinkView {
  return {
    id: r.id,
    organizationId: r.organization_id,
    kind: r.kind,
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at.toISOString(),
    sessionMinutes: Math.round(r.session_seconds / 60),
    revokedAt: r.revoked_at?.toISOString() ?? null,
    usedAt: r.used_at?.toISOString() ?? null,
  };
}
