import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { mayAccessOrganization, organizationKnownToIngress, SERVICE_CONFIG, type AccessScope } from '@scimbridge/service-kit';
import { IsNull, type Repository } from 'typeorm';
import { DirectoryOverviewRow } from '../persistence/entities';
import type { portalQueryConfig } from '../portal-query.config';

/**
 * Whether the caller may see a directory or an organization: 404 (not 403) when it may not, so a caller
 * of one organization cannot even learn that another's ids exist. The scope comes from
 * ManagementAccessGuard (`management` today); a portal session (organization scope) plugs in through
 * `mayAccessOrganization` unchanged.
 */
@Injectable()
export class DirectoryAccessService {
  constructor(
    @InjectRepository(DirectoryOverviewRow) private readonly directories: Repository<DirectoryOverviewRow>,
    @Inject(SERVICE_CONFIG) private readonly config: portalQueryConfig,
  ) {}

  /** The directory's overview row, if the read models know it and the caller may see it. */
  async requireDirectory(scope: AccessScope, directoryId: string): Promise<DirectoryOverviewRow> {
    const directory = await this.directories.findOneBy({ directoryId });
    if (!directory || directory.deletedAt !== null || !mayAccessOrganization(scope, directory.organizationId)) throw new NotFoundException('directory not found');
    return directory;
  }

  /**
   * The organization's directories; an organization none of whose directories we have seen is
   * confirmed with the ingress, which owns organizations (an empty list for a real one, 404 otherwise).
   */
  async directoriesOf(scope: AccessScope, organizationId: string): Promise<DirectoryOverviewRow[]> {
    if (!mayAccessOrganization(scope, organizationId)) throw new NotFoundException('organization not found');
    const found = await this.directories.find({ where: { organizationId, deletedAt: IsNull() }, order: { createdAt: 'ASC', directoryId: 'ASC' } });
    if (found.length > 0) return found;
    if (!(await organizationKnownToIngress(this.config, organizationId, this.config.SCIM_INGRESS_TIMEOUT_MS))) throw new NotFoundException('organization not found');
    return [];
  }
}
