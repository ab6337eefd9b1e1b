import { randomUUID } from 'node:crypto';
import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { streamIds, upcast, type EventMetadata, type RoleMappingsChangedDataV2 } from '@scimbridge/contracts';
import { PostgresEventStore } from '@scimbridge/event-store';
import { PG_POOL } from '@scimbridge/service-kit';
import type { Pool, PoolClient } from 'pg';
import { decideRoleMappings, EMPTY_MAPPING_SET, type MappingSetState, type ReplaceRoleMappings } from '../domain/role-mapping.decider';
import { grantDifference } from '../role-grants/grant-engine';
import type { KnownDirectory } from '../persistence/entities';

export interface MappingSetView {
  readonly directoryId: string;
  /** Version of the directory's mapping stream: +1 per change, 0 before the first. */
  readonly version: number;
  readonly mappings: readonly { readonly groupId: string; readonly groupDisplayName: string | null; readonly roles: readonly string[] }[];
  readonly defaultRole: string | null;
  readonly defaultRoleAppliesTo: 'unassigned' | 'everyone' | null;
  readonly updatedAt: string | null;
}

export interface MappingHistoryEntry {
  readonly version: number;
  readonly eventId: string;
  readonly occurredAt: string;
  readonly mappings: RoleMappingsChangedDataV2['mappings'];
  readonly defaultRole: RoleMappingsChangedDataV2['defaultRole'];
}

interface MappingRow {
  version: number;
  mappings: { groupId: string; roles: string[] }[];
  default_role: string | null;
  default_applies_to: 'unassigned' | 'everyone' | null;
  updated_at: Date | null;
}

/**
 * Group-to-role mappings, event-sourced: each change is a RoleMappingsChanged on the directory's
 * `role_mapping:<id>` stream, written in one transaction with `mapping_sets` (what GET answers at once).
 * The role-grant projection applies it when it comes back from Kafka, in order with the directory's
 * other events.
 */
@Injectable()
export class RoleMappingsService {
  constructor(
    private readonly store: PostgresEventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  async current(directoryId: string): Promise<MappingSetView> {
    const { rows } = await this.pool.query<MappingRow>('SELECT version, mappings, default_role, default_applies_to, updated_at FROM mapping_sets WHERE directory_id = $1', [directoryId]);
    return this.view(directoryId, rows[0]);
  }

  /** 400 with every problem when a group or role is unknown; no event when nothing changes. */
  async replace(directory: KnownDirectory, command: ReplaceRoleMappings, at: Date): Promise<MappingSetView> {
    const directoryId = directory.directoryId;
    const [{ rows: groups }, { rows: catalog }] = await Promise.all([
      this.pool.query<{ group_id: string }>('SELECT group_id FROM directory_groups WHERE directory_id = $1 AND group_id = ANY($2::text[])', [
        directoryId,
        command.mappings.map((m) => m.groupId),
      ]),
      this.pool.query<{ role_key: string }>('SELECT role_key FROM role_catalog WHERE organization_id = $1', [directory.organizationId]),
    ]);
    await this.store.withTransaction(async (tx) => {
      // Lock the directory's set (creating it at version 0): concurrent PUTs apply one after the other.
      await tx.client.query(`INSERT INTO mapping_sets (directory_id, version, mappings, updated_at) VALUES ($1, 0, '[]', $2) ON CONFLICT DO NOTHING`, [directoryId, at]);
      const { rows } = await tx.client.query<MappingRow>(
        'SELECT version, mappings, default_role, default_applies_to, updated_at FROM mapping_sets WHERE directory_id = $1 FOR UPDATE',
        [directoryId],
      );
      const row = rows[0] as MappingRow;
      const decision = decideRoleMappings(command, {
        groups: new Set(groups.map((g) => g.group_id)),
        catalog: new Set(catalog.map((r) => r.role_key)),
        current: stateOf(row),
      });
      if (decision.kind === 'rejected') throw new BadRequestException(decision.problems);
      if (decision.kind === 'unchanged') return;
      const metadata: EventMetadata = { directoryId, organizationId: directory.organizationId, occurredAt: at.toISOString(), actor: { kind: 'management-api' } };
      await tx.client.query(
        'UPDATE mapping_sets SET version = $2, mappings = $3, default_role = $4, default_applies_to = $5, updated_at = $6 WHERE directory_id = $1',
        [directoryId, row.version + 1, JSON.stringify(decision.state.mappings), decision.state.defaultRole?.role ?? null, decision.state.defaultRole?.appliesTo ?? null, at],
      );
      await tx.append(
        streamIds.roleMapping(directoryId),
        [{ id: randomUUID(), type: 'RoleMappingsChanged', schemaVersion: 2, data: decision.data, metadata: { ...metadata } }],
        { expectedVersion: row.version },
      );
    });
    return this.current(directoryId);
  }

  /** Every change of the directory's mappings, newest first. */
  async history(directoryId: string): Promise<MappingHistoryEntry[]> {
    const events = await this.store.readStream(streamIds.roleMapping(directoryId));
    return events
      .map((e) => {
        const data = upcast('RoleMappingsChanged', e.schemaVersion, e.data).data as RoleMappingsChangedDataV2;
        return { version: e.streamVersion, eventId: e.id, occurredAt: String(e.metadata['occurredAt']), mappings: data.mappings, defaultRole: data.defaultRole };
      })
      .reverse();
  }

  /**
   * What a mapping set would do if it were saved now: per role, how many users would gain and lose it,
   * against the grants as they are. It is computed by applying the set to the projection's tables in a
   * transaction that is rolled back, so it uses the very rule the projection uses. 400 as for a PUT.
   */
  async preview(directory: KnownDirectory, command: ReplaceRoleMappings): Promise<{ role: string; gaining: number; losing: number }[]> {
    const directoryId = directory.directoryId;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // The projection's own lock: nothing of this directory is applied meanwhile.
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [directoryId]);
      const decision = decideRoleMappings(command, {
        groups: await this.groupsOf(client, directoryId, command),
        catalog: new Set((await client.query<{ role_key: string }>('SELECT role_key FROM role_catalog WHERE organization_id = $1', [directory.organizationId])).rows.map((r) => r.role_key)),
        current: EMPTY_MAPPING_SET,
      });
      if (decision.kind === 'rejected') throw new BadRequestException(decision.problems);
      await client.query('DELETE FROM group_roles WHERE directory_id = $1', [directoryId]);
      await client.query(
        `INSERT INTO group_roles (directory_id, group_id, role_key)
         SELECT $1, m.group_id, r FROM jsonb_to_recordset($2::jsonb) AS m(group_id text, roles text[]), unnest(m.roles) AS r`,
        [directoryId, JSON.stringify(decision.state.mappings.map((m) => ({ group_id: m.groupId, roles: m.roles })))],
      );
      await client.query('UPDATE known_directories SET default_role = $2, default_applies_to = $3 WHERE directory_id = $1', [
        directoryId,
        decision.state.defaultRole?.role ?? null,
        decision.state.defaultRole?.appliesTo ?? null,
      ]);
      return await grantDifference(client, directoryId);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  private async groupsOf(db: PoolClient, directoryId: string, command: ReplaceRoleMappings): Promise<Set<string>> {
    const { rows } = await db.query<{ group_id: string }>('SELECT group_id FROM directory_groups WHERE directory_id = $1 AND group_id = ANY($2::text[])', [
      directoryId,
      command.mappings.map((m) => m.groupId),
    ]);
    return new Set(rows.map((r) => r.group_id));
  }

  private async view(directoryId: string, row: MappingRow | undefined): Promise<MappingSetView> {
    const state = row ? stateOf(row) : EMPTY_MAPPING_SET;
    const { rows: names } = await this.pool.query<{ group_id: string; display_name: string }>(
      'SELECT group_id, display_name FROM directory_groups WHERE directory_id = $1 AND group_id = ANY($2::text[])',
      [directoryId, state.mappings.map((m) => m.groupId)],
    );
    const nameOf = new Map(names.map((n) => [n.group_id, n.display_name]));
    return {
      directoryId,
      version: row?.version ?? 0,
      // groupDisplayName null: the group has been deleted since (its mapping grants nothing any more).
      mappings: state.mappings.map((m) => ({ groupId: m.groupId, groupDisplayName: nameOf.get(m.groupId) ?? null, roles: m.roles })),
      defaultRole: state.defaultRole?.role ?? null,
      defaultRoleAppliesTo: state.defaultRole?.appliesTo ?? null,
      updatedAt: row?.updated_at?.toISOString() ?? null,
    };
  }
}

function stateOf(row: MappingRow): MappingSetState {
  return {
    mappings: row.mappings,
    defaultRole: row.default_role === null ? null : { role: row.default_role, appliesTo: row.default_applies_to ?? 'unassigned' },
  };
}
