import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { mayAccessOrganization, organizationKnownToIngress, PG_POOL, SERVICE_CONFIG, type AccessScope } from '@scimbridge/service-kit';
import type { Pool } from 'pg';
import type { WebhookDeliveryConfig } from '../webhook-delivery.config';

/**
 * Which organizations and directories exist, and whether the caller may see them (404 when not: a
 * portal session of one organization cannot even learn that another's ids exist). Directories and their
 * organizations are known from the envelopes consumed; an organization without a directory yet is
 * confirmed once with the ingress, which owns organizations (as role-assignment does).
 */
@Injectable()
export class OrganizationsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: WebhookDeliveryConfig,
  ) {}

  async requireOrganization(scope: AccessScope, organizationId: string): Promise<void> {
    if (!mayAccessOrganization(scope, organizationId)) throw new NotFoundException('organization not found');
    const known = await this.pool.query(
      `SELECT 1 FROM known_organizations WHERE organization_id = $1 UNION ALL SELECT 1 FROM known_directories WHERE organization_id = $1 LIMIT 1`,
      [organizationId],
    );
    if (known.rowCount !== 0) return;
    if (!(await organizationKnownToIngress(this.config, organizationId))) throw new NotFoundException('organization not found');
    await this.pool.query(`INSERT INTO known_organizations (organization_id) VALUES ($1) ON CONFLICT DO NOTHING`, [organizationId]);
  }

  /** The directory's organization, if this service has seen the directory and the caller may see it. */
  async requireDirectory(scope: AccessScope, directoryId: string): Promise<{ organizationId: string }> {
    const { rows } = await this.pool.query<{ organization_id: string }>(`SELECT organization_id FROM known_directories WHERE directory_id = $1`, [directoryId]);
    const row = rows[0];
    if (!row || !mayAccessOrganization(scope, row.organization_id)) throw new NotFoundException('directory not found');
    return { organizationId: row.organization_id };
  }
}
