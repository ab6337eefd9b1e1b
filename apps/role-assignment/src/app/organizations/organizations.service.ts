import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { mayAccessOrganization, organizationKnownToIngress, SERVICE_CONFIG, type AccessScope } from '@scimbridge/service-kit';
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
    if (!(await organizationKnownToIngress(this.config, organizationId))) throw new NotFoundException('organization not found');
    await this.organizations.query(`INSERT INTO known_organizations (organization_id) VALUES ($1) ON CONFLICT DO NOTHING`, [organizationId]);
  }

  /** The directory as this service has seen it (DirectoryCreated), if the caller may see it. */
  async requireDirectory(scope: AccessScope, directoryId: string): Promise<KnownDirectory> {
    const directory = await this.directories.findOneBy({ directoryId });
    if (!directory || directory.deletedAt !== null || !mayAccessOrganization(scope, directory.organizationId)) throw new NotFoundException('directory not found');
    return directory;
  }
}
