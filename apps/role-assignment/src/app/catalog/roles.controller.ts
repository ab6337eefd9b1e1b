import { Body, Controller, Get, Param, ParseUUIDPipe, Put, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { Access, AllowPortalSession, ManagementAccessGuard, type AccessScope } from '@scimbridge/service-kit';
import { OrganizationsService } from '../organizations/organizations.service';
import { PutRolesDto } from './roles.dto';
import { RolesService, type CatalogView } from './roles.service';

/** The app's roles, per organization: what mappings and default roles may grant. */
@Controller('api/v1/organizations/:orgId/roles')
@UseGuards(ManagementAccessGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class RolesController {
  constructor(
    private readonly roles: RolesService,
    private readonly organizations: OrganizationsService,
  ) {}

  /** The portal reads it for its role pickers; only the app's backend changes it. */
  @Get()
  @AllowPortalSession()
  async get(@Access() scope: AccessScope, @Param('orgId', ParseUUIDPipe) orgId: string): Promise<CatalogView> {
    await this.organizations.requireOrganization(scope, orgId);
    return this.roles.catalog(orgId);
  }

  /** Replaces the catalog. A role still used by a mapping or as a default role cannot be removed (409). */
  @Put()
  async put(@Access() scope: AccessScope, @Param('orgId', ParseUUIDPipe) orgId: string, @Body() body: PutRolesDto): Promise<CatalogView> {
    await this.organizations.requireOrganization(scope, orgId);
    return this.roles.replace(
      orgId,
      body.roles.map((r) => ({ key: r.key, displayName: r.displayName, description: r.description ?? null })),
      new Date(),
    );
  }
}
