import { randomUUID } from 'node:crypto';
import { BadRequestException, ConflictException, Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@scimbridge/service-kit';
import { PostgresEventStore } from '@scimbridge/event-store';
import type { Pool, PoolClient } from 'pg';
import { decideRoleCatalog, ROLE_CATALOG_CHANGED, roleCatalogStream, type CatalogEntry } from '../domain/role-catalog.decider';

export interface CatalogView {
  readonly organizationId: string;
  /** The catalog's version: +1 per change. */
  readonly version: number;
  readonly roles: readonly CatalogEntry[];
}

/** The organization's roles catalog, event-sourced: table and private event in one transaction. */
@Injectable()
export class RolesService {
  constructor(
    private readonly store: PostgresEventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  async catalog(organizationId: string, db: Pick<PoolClient, 'query'> = this.pool): Promise<CatalogView> {
    const [{ rows: versions }, { rows }] = await Promise.all([
      db.query<{ catalog_version: number }>('SELECT catalog_version FROM known_organizations WHERE organization_id = $1', [organizationId]),
      db.query<{ role_key: string; display_name: string; description: string | null }>(
        'SELECT role_key, display_name, description FROM role_catalog WHERE organization_id = $1 ORDER BY position',
        [organizationId],
      ),
    ]);
    return {
      organizationId,
      version: versions[0]?.catalog_version ?? 0,
      roles: rows.map((r) => ({ key: r.role_key, displayName: r.display_name, description: r.description })),
    };
  }

  /** Replaces the catalog (the organization must be known). 400: invalid; 409: a removed role is still mapped. */
  async replace(organizationId: string, roles: readonly CatalogEntry[], at: Date): Promise<CatalogView> {
    return this.store.withTransaction(async (tx) => {
      const { rows: locked } = await tx.client.query<{ catalog_version: number }>(
        'SELECT catalog_version FROM known_organizations WHERE organization_id = $1 FOR UPDATE',
        [organizationId],
      );
      if (locked.length === 0) throw new Error(`organization ${organizationId} is not known`);
      const current = await this.catalog(organizationId, tx.client);
      const decision = decideRoleCatalog({ organizationId, roles }, { current: current.roles, usage: await usage(tx.client, organizationId) });
      switch (decision.kind) {
        case 'invalid':
          throw new BadRequestException(decision.problems);
        case 'in-use':
          throw new ConflictException(decision.problems);
        case 'unchanged':
          return current;
        case 'changed':
          break;
        default: {
          const unreachable: never = decision;
          return unreachable;
        }
      }
      await tx.client.query('DELETE FROM role_catalog WHERE organization_id = $1', [organizationId]);
      await tx.client.query(
        `INSERT INTO role_catalog (organization_id, role_key, display_name, description, position)
         SELECT $1, r.key, r.display_name, r.description, r.ord - 1
           FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (key text, display_name text, description text)) WITH ORDINALITY AS r(key, display_name, description, ord)`,
        [organizationId, JSON.stringify(decision.data.roles.map((r) => ({ key: r.key, display_name: r.displayName, description: r.description })))],
      );
      const version = current.version + 1;
      await tx.client.query('UPDATE known_organizations SET catalog_version = $2 WHERE organization_id = $1', [organizationId, version]);
      await tx.append(
        roleCatalogStream(organizationId),
        [{ id: randomUUID(), type: ROLE_CATALOG_CHANGED, schemaVersion: 1, data: decision.data, metadata: { organizationId, occurredAt: at.toISOString(), actor: { kind: 'management-api' } } }],
        { expectedVersion: current.version },
      );
      return { organizationId, version, roles: decision.data.roles };
    });
  }
}

/** Where each role of the organization is in use: its directories' mapping sets and default roles. */
async function usage(db: Pick<PoolClient, 'query'>, organizationId: string): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ directory_id: string; mappings: { groupId: string; roles: string[] }[]; default_role: string | null }>(
    `SELECT s.directory_id, s.mappings, s.default_role FROM mapping_sets AS s
       JOIN known_directories AS d ON d.directory_id = s.directory_id WHERE d.organization_id = $1 AND d.deleted_at IS NULL`,
    [organizationId],
  );
  const used = new Map<string, string[]>();
  const add = (role: string, where: string): void => {
    used.set(role, [...(used.get(role) ?? []), where]);
  };
  for (const row of rows) {
    for (const m of row.mappings) for (const role of m.roles) add(role, `directory ${row.directory_id}: group ${m.groupId}`);
    if (row.default_role) add(row.default_role, `directory ${row.directory_id}: default role`);
  }
  return used;
}
