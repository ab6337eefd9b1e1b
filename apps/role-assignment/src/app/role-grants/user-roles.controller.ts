import { Controller, Get, Inject, NotFoundException, Param, ParseUUIDPipe, UseGuards } from '@nestjs/common';
import { Access, AllowPortalSession, ManagementAccessGuard, PG_POOL, type AccessScope } from '@scimbridge/service-kit';
import type { Pool } from 'pg';
import { OrganizationsService } from '../organizations/organizations.service';

export interface UserRolesView {
  readonly directoryId: string;
  readonly userId: string;
  readonly userName: string;
  readonly active: boolean;
  readonly roles: readonly {
    readonly role: string;
    /** From the organization's catalog; null if the role has left it since. */
    readonly displayName: string | null;
    /** `groups`: mapped groups grant it; `default`: only the directory's default role does. */
    readonly source: 'groups' | 'default';
    readonly viaGroups: readonly { readonly groupId: string; readonly displayName: string | null }[];
    /** When the role was assigned (the time of the event that caused it). */
    readonly since: string;
  }[];
}

/** A user's current roles and why: what has been published on scim.role.events for them. */
@Controller('api/v1/directories/:id/users/:userId/roles')
@UseGuards(ManagementAccessGuard)
@AllowPortalSession()
export class UserRolesController {
  constructor(
    private readonly organizations: OrganizationsService,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  @Get()
  async get(@Access() scope: AccessScope, @Param('id', ParseUUIDPipe) id: string, @Param('userId') userId: string): Promise<UserRolesView> {
    const directory = await this.organizations.requireDirectory(scope, id);
    const { rows: users } = await this.pool.query<{ user_name: string; active: boolean }>('SELECT user_name, active FROM directory_users WHERE directory_id = $1 AND user_id = $2', [id, userId]);
    const user = users[0];
    if (!user) throw new NotFoundException('user not found in this directory');
    const { rows } = await this.pool.query<{ role_key: string; display_name: string | null; via: { groupId: string; displayName: string | null }[]; granted_at: Date }>(
      `SELECT g.role_key, c.display_name, g.granted_at,
              coalesce((SELECT jsonb_agg(jsonb_build_object('groupId', v.group_id, 'displayName', dg.display_name) ORDER BY v.ord)
                          FROM unnest(g.via_group_ids) WITH ORDINALITY AS v(group_id, ord)
                          LEFT JOIN directory_groups AS dg ON dg.directory_id = g.directory_id AND dg.group_id = v.group_id), '[]'::jsonb) AS via
         FROM role_grants AS g
         LEFT JOIN role_catalog AS c ON c.organization_id = $3 AND c.role_key = g.role_key
        WHERE g.directory_id = $1 AND g.user_id = $2
        ORDER BY g.role_key COLLATE "C"`,
      [id, userId, directory.organizationId],
    );
    return {
      directoryId: id,
      userId,
      userName: user.user_name,
      active: user.active,
      roles: rows.map((r) => ({
        role: r.role_key,
        displayName: r.display_name,
        source: r.via.length > 0 ? 'groups' : 'default',
        viaGroups: r.via,
        since: r.granted_at.toISOString(),
      })),
    };
  }
}
