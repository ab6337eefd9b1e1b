import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { Access, AllowPortalSession, ManagementAccessGuard, type AccessScope } from '@scimbridge/service-kit';
import type { ReplaceRoleMappings } from '../domain/role-mapping.decider';
import { OrganizationsService } from '../organizations/organizations.service';
import { PutRoleMappingsDto } from './role-mappings.dto';
import { RoleMappingsService, type MappingHistoryEntry, type MappingSetView } from './role-mappings.service';

const command = (directoryId: string, body: PutRoleMappingsDto): ReplaceRoleMappings => ({
  directoryId,
  mappings: body.mappings,
  defaultRole: body.defaultRole ?? null,
  defaultRoleAppliesTo: body.defaultRoleAppliesTo ?? 'unassigned',
});

/** Group-based role assignment of one directory. */
@Controller('api/v1/directories/:id/role-mappings')
@UseGuards(ManagementAccessGuard)
@AllowPortalSession()
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class RoleMappingsController {
  constructor(
    private readonly mappings: RoleMappingsService,
    private readonly organizations: OrganizationsService,
  ) {}

  @Get()
  async get(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string): Promise<MappingSetView> {
    await this.organizations.requireDirectory(scope, id);
    return this.mappings.current(id);
  }

  /** Replaces the whole set. Users gain and lose roles as the projection applies it (RoleAssigned/RoleRevoked). */
  @Put()
  async put(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string, @Body() body: PutRoleMappingsDto): Promise<MappingSetView> {
    const directory = await this.organizations.requireDirectory(scope, id);
    return this.mappings.replace(directory, command(id, body), new Date());
  }

  @Get('history')
  async history(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string): Promise<{ changes: MappingHistoryEntry[] }> {
    await this.organizations.requireDirectory(scope, id);
    return { changes: await this.mappings.history(id) };
  }

  /** How many users would gain and lose each role if this set were saved; nothing is stored. */
  @Post('preview')
  @HttpCode(200)
  async preview(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string, @Body() body: PutRoleMappingsDto): Promise<{ roles: { role: string; gaining: number; losing: number }[] }> {
    const directory = await this.organizations.requireDirectory(scope, id);
    return { roles: await this.mappings.preview(directory, command(id, body)) };
  }
}
