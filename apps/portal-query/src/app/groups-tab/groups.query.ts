import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { GroupView } from '@scimbridge/contracts';
import { PG_POOL } from '@scimbridge/service-kit';
import type { Pool } from 'pg';
import { containsPattern, decodeCursor, encodeCursor, type Page } from '../common/keyset-cursor';
import type { DirectoryOverviewRow } from '../persistence/entities';
import { TOTAL_CAP } from '../users-tab/users.query';
import type { Order } from '../users-tab/users.dto';
import type { GroupSort } from './groups.dto';

export type { GroupView };

const SORT_COLUMNS: Record<GroupSort, { readonly column: string; readonly type: string }> = {
  displayName: { column: 'g.display_name_sort', type: 'text' },
  createdAt: { column: 'g.created_at', type: 'timestamptz' },
  updatedAt: { column: 'g.updated_at', type: 'timestamptz' },
};

interface GroupDbRow {
  group_id: string;
  external_id: string | null;
  display_name: string;
  member_count: number;
  created_at: Date;
  updated_at: Date;
  sort_key: string | null;
  roles: string[];
}

const ROLES = `(SELECT coalesce(array_agg(r.role ORDER BY r.role), '{}') FROM group_roles AS r WHERE r.directory_id = p.directory_id AND r.group_id = p.group_id) AS roles`;

/** The Groups tab: keyset pages over the groups read model, with member counts and mapped roles. */
@Injectable()
export class GroupsQuery {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async list(directory: DirectoryOverviewRow, filter: { search?: string; sort?: GroupSort; order?: Order; cursor?: string; limit?: number }): Promise<Page<GroupView>> {
    const sort = filter.sort ?? 'displayName';
    const order = filter.order ?? 'asc';
    const limit = filter.limit ?? 50;
    const sortKey = `${sort}:${order}`;
    const { column, type } = SORT_COLUMNS[sort];
    const values: unknown[] = [directory.directoryId];
    const where = ['g.directory_id = $1'];
    if (filter.search !== undefined) {
      values.push(containsPattern(filter.search));
      where.push(`g.search_text LIKE $${values.length}`);
    }
    // The total in the same statement as the page (one snapshot): the overview's counter, or counted.
    const counted = filter.search !== undefined;
    const total = counted
      ? `SELECT count(*)::int AS n FROM (SELECT 1 FROM groups AS g WHERE ${where.join(' AND ')} LIMIT ${TOTAL_CAP + 1}) AS c`
      : 'SELECT groups AS n FROM directories WHERE directory_id = $1';
    if (filter.cursor !== undefined) {
      const after = decodeCursor(filter.cursor, sortKey);
      values.push(after.v, after.id);
      where.push(`(${column}, g.group_id) ${order === 'asc' ? '>' : '<'} ($${values.length - 1}::${type}, $${values.length})`);
    }
    const dir = order === 'asc' ? 'ASC' : 'DESC';
    const outerKey = type === 'text' ? 'p.sort_key COLLATE "C"' : `p.sort_key::${type}`;
    const { rows } = await this.pool.query<Partial<GroupDbRow> & { total_n: number | null }>(
      `WITH total AS (${total})
       SELECT (SELECT n FROM total) AS total_n, p.*, ${ROLES}
         FROM (SELECT 1) AS one
         LEFT JOIN (SELECT g.*, (${column})::text AS sort_key FROM groups AS g WHERE ${where.join(' AND ')}
                     ORDER BY ${column} ${dir}, g.group_id ${dir} LIMIT ${limit + 1}) AS p ON true
        ORDER BY ${outerKey} ${dir}, p.group_id ${dir}`,
      values,
    );
    const found = rows.filter((r): r is GroupDbRow & { total_n: number | null } => r.group_id !== undefined && r.group_id !== null);
    const more = found.length > limit;
    const page = more ? found.slice(0, limit) : found;
    const last = page[page.length - 1];
    const n = rows[0]?.total_n ?? 0;
    return {
      items: page.map(groupView),
      nextCursor: more && last ? encodeCursor({ s: sortKey, v: last.sort_key, id: last.group_id }) : null,
      total: counted ? Math.min(n, TOTAL_CAP) : n,
      totalCapped: counted && n > TOTAL_CAP,
    };
  }

  async get(directoryId: string, groupId: string): Promise<GroupView> {
    const { rows } = await this.pool.query<GroupDbRow>(
      `SELECT p.*, ${ROLES} FROM (SELECT g.*, NULL::text AS sort_key FROM groups AS g WHERE g.directory_id = $1 AND g.group_id = $2) AS p`,
      [directoryId, groupId],
    );
    const row = rows[0];
    if (!row) throw new NotFoundException('group not found in this directory');
    return groupView(row);
  }
}

function groupView(r: GroupDbRow): GroupView {
  return {
    id: r.group_id,
    externalId: r.external_id,
    displayName: r.display_name,
    memberCount: r.member_count,
    roles: r.roles,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
