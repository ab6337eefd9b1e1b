import { Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { mayAccessOrganization, SERVICE_CONFIG, type AccessScope } from '@scimbridge/service-kit';
import type { Repository } from 'typeorm';
import { KnownDirectory, KnownOrganization } from '../persistence/entities';
import type { roleAssignmentConfig } from '../role-assignment.config';

/**
 * Which organizations and directories exist, and whether the caller may see them (404 when not: a
 * caller of one organization cannot even learn that another's ids exist). Directories and most
 * organizations are known from `scim.directory.events`; an organization without a directory yet is
 * confirmed once with the ingress, which owns organizations.
 */
@Injectable()
export class OrganizationsService {
  constructor(
    @InjectRepository(KnownOrganization) private readonly organizations: Repository<KnownOrganization>,
    @InjectRepository(KnownDirectory) private readonly directories: Repository<KnownDirectory>,
    @Inject(SERVICE_CONFIG) private readonly config: roleAssignmentConfig,
  ) {}

  async requireOrganization(scope: AccessScope, organizationId: string): Promise<void> {
    if (!mayAccessOrganization(scope, organizationId)) throw new NotFoundException('organization not found');
    if (await this.organizations.existsBy({ organizationId })) return;
    let status: number;
    try {
      const response = await fetch(`${this.config.SCIM_INGRESS_URL.replace(/\/+$/, '')}/api/v1/organizations/${organizationId}`, {
        headers: { authorization: `Bearer ${this.config.MANAGEMENT_API_KEY}`, accept: 'application/json' },
        signal: AbortSignal.timeout(5_000),
      });
      status = response.status;
      await response.body?.cancel();
    } catch (error) {
      throw new ServiceUnavailableException(`cannot confirm the organization with the ingress: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (status === 404) throw new NotFoundException('organization not found');
    if (status !== 200) throw new ServiceUnavailableException(`cannot confirm the organization with the ingress: it answered ${status}`);
    await this.organizations.query(`INSERT INTO known_organizations (organization_id) VALUES ($1) ON CONFLICT DO NOTHING`, [organizationId]);
  }

  /** The directory as this service has seen it (DirectoryCreated), if the caller may see it. */
  async requireDirectory(scope: AccessScope, directoryId: string): Promise<KnownDirectory> {
    const directory = await this.directories.findOneBy({ directoryId });
    if (!directory || directory.deletedAt !== null || !mayAccessOrganization(scope, directory.organizationId)) throw new NotFoundException('directory not found');
    return directory;
  }
}
