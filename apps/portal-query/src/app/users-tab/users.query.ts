import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { UserDetailView, UserSummaryView } from '@scimbridge/contracts';
import { PG_POOL } from '@scimbridge/service-kit';
import type { Pool } from 'pg';
import { containsPattern, decodeCursor, encodeCursor, type Page } from '../common/keyset-cursor';
import type { DirectoryOverviewRow } from '../persistence/entities';
import type { Order, UserSort } from './users.dto';

export type { UserDetailView, UserSummaryView };

export interface UserListFilter {
  readonly search?: string;
  readonly status?: 'active' | 'inactive';
  readonly groupId?: string;
  readonly sort?: UserSort;
  readonly order?: Order;
  readonly cursor?: string;
  readonly limit?: number;
}

/** Sort keys: generated "C"-collation columns or timestamps, each with a (directory_id, key, user_id) index. */
const SORT_COLUMNS: Record<UserSort, { readonly column: string; readonly type: string }> = {
  userName: { column: 'u.user_name_sort', type: 'text' },
  displayName: { column: 'u.display_name_sort', type: 'text' },
  createdAt: { column: 'u.created_at', type: 'timestamptz' },
  updatedAt: { column: 'u.updated_at', type: 'timestamptz' },
};

/** Counting a broad search exactly costs as much as reading every match: beyond this, "at least". */
export const TOTAL_CAP = 10_000;

interface UserDbRow {
  user_id: string;
  external_id: string | null;
  user_name: string;
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  primary_email: string | null;
  active: boolean;
  department: string | null;
  title: string | null;
  created_at: Date;
  updated_at: Date;
  last_event_type: string;
  last_event_at: Date;
  sort_key: string | null;
  groups: { id: string; displayName: string }[];
  roles: { role: string; viaGroupIds: string[] }[];
}

/** What every user view shows beside the user's own columns: its groups and roles, for a page of rows. */
const DECORATE = `
  (SELECT coalesce(jsonb_agg(jsonb_build_object('id', g.group_id, 'displayName', g.display_name) ORDER BY g.display_name_sort, g.group_id), '[]'::jsonb)
     FROM memberships AS m JOIN groups AS g ON g.directory_id = m.directory_id AND g.group_id = m.group_id
    WHERE m.directory_id = p.directory_id AND m.user_id = p.user_id) AS groups,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('role', r.role, 'viaGroupIds', to_jsonb(r.via_group_ids)) ORDER BY r.role), '[]'::jsonb)
     FROM user_roles AS r WHERE r.directory_id = p.directory_id AND r.user_id = p.user_id) AS roles`;

/** The Users tab and a group's members: keyset pages over the users read model. */
@Injectable()
export class UsersQuery {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * One page and its total in ONE statement, so both come from the same snapshot (read separately, a
   * row committed in between was counted but not listed). The total is exact from the overview's
   * counters (no filter but status) or the group's member count (only a group); else counted, capped.
   */
  async list(directory: DirectoryOverviewRow, filter: UserListFilter): Promise<Page<UserSummaryView>> {
    const sort = filter.sort ?? 'userName';
    const order = filter.order ?? 'asc';
    const limit = filter.limit ?? 50;
    const sortKey = `${sort}:${order}`;
    const { column, type } = SORT_COLUMNS[sort];
    const where: string[] = ['u.directory_id = $1'];
    const values: unknown[] = [directory.directoryId];
    const param = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    if (filter.search !== undefined) where.push(`u.search_text LIKE ${param(containsPattern(filter.search))}`);
    if (filter.status !== undefined) where.push(`u.active = ${param(filter.status === 'active')}`);
    let groupParam: string | undefined;
    if (filter.groupId !== undefined) {
      groupParam = param(filter.groupId);
      where.push(`EXISTS (SELECT 1 FROM memberships AS m WHERE m.directory_id = u.directory_id AND m.group_id = ${groupParam} AND m.user_id = u.user_id)`);
    }
    const dir = order === 'asc' ? 'ASC' : 'DESC';
    const orderBy = `ORDER BY ${column} ${dir}, u.user_id ${dir} LIMIT ${limit + 1}`;
    // The page is sorted again outside (after the decoration), by the same key as the inner index order.
    const outerKey = type === 'text' ? 'p.sort_key COLLATE "C"' : `p.sort_key::${type}`;
    let keyset = '';
    if (filter.cursor !== undefined) {
      const after = decodeCursor(filter.cursor, sortKey);
      keyset = ` AND (${column}, u.user_id) ${order === 'asc' ? '>' : '<'} (${param(after.v)}::${type}, ${param(after.id)})`;
    }
    const filtered = where.join(' AND ');
    const select = `SELECT u.*, (${column})::text AS sort_key FROM users AS u`;
    let ctes: string;
    let counted = false;
    if (filter.search === undefined && groupParam === undefined) {
      const counter = filter.status === 'active' ? 'users_active' : filter.status === 'inactive' ? 'users_inactive' : 'users_active + users_inactive';
      ctes = `total AS (SELECT ${counter} AS n FROM directories WHERE directory_id = $1),
              p AS (${select} WHERE ${filtered}${keyset} ${orderBy})`;
    } else if (filter.search === undefined && filter.status === undefined && groupParam !== undefined) {
      ctes = `total AS (SELECT member_count AS n FROM groups WHERE directory_id = $1 AND group_id = ${groupParam}),
              p AS (${select} WHERE ${filtered}${keyset} ${orderBy})`;
    } else {
      // The matches are found ONCE (trigram index for a selective search; the covering user-name index,
      // index-only, for a broad one), at most TOTAL_CAP + 1 of them: their number is the total, and when
      // that is all of them the page is sorted out of them. Only a capped (broad) search reads its page
      // by walking the sort key's index instead (the matches then are dense, so the walk stops early).
      // The two branches are gated on the count (one-time filters): exactly one of them runs.
      ctes = `matches AS MATERIALIZED (SELECT u.user_id FROM users AS u WHERE ${filtered} LIMIT ${TOTAL_CAP + 1}),
              total AS (SELECT count(*)::int AS n FROM matches),
              p AS ((${select} WHERE u.directory_id = $1 AND u.user_id IN (SELECT user_id FROM matches)${keyset} AND (SELECT n FROM total) <= ${TOTAL_CAP} ${orderBy})
                    UNION ALL
                    (${select} WHERE ${filtered}${keyset} AND (SELECT n FROM total) > ${TOTAL_CAP} ${orderBy}))`;
      counted = true;
    }
    const { rows } = await this.pool.query<Partial<UserDbRow> & { total_n: number | null }>(
      `WITH ${ctes}
       SELECT (SELECT n FROM total) AS total_n, p.*, ${DECORATE}
         FROM (SELECT 1) AS one
         LEFT JOIN p ON true
        ORDER BY ${outerKey} ${dir}, p.user_id ${dir}`,
      values,
    );
    const found = rows.filter((r): r is UserDbRow & { total_n: number | null } => r.user_id !== undefined && r.user_id !== null);
    const more = found.length > limit;
    const page = more ? found.slice(0, limit) : found;
    const last = page[page.length - 1];
    const n = rows[0]?.total_n ?? 0;
    return {
      items: page.map(summaryView),
      nextCursor: more && last ? encodeCursor({ s: sortKey, v: last.sort_key, id: last.user_id }) : null,
      total: counted ? Math.min(n, TOTAL_CAP) : n,
      totalCapped: counted && n > TOTAL_CAP,
    };
  }

  async get(directoryId: string, userId: string): Promise<UserDetailView> {
    const { rows } = await this.pool.query<UserDbRow & { emails: UserDetailView['emails']; attributes: Record<string, unknown> }>(
      `SELECT p.*, ${DECORATE} FROM (SELECT u.*, NULL::text AS sort_key FROM users AS u WHERE u.directory_id = $1 AND u.user_id = $2) AS p`,
      [directoryId, userId],
    );
    const row = rows[0];
    if (!row) throw new NotFoundException('user not found in this directory');
    return { ...summaryView(row), emails: row.emails, attributes: row.attributes };
  }
}

function summaryView(r: UserDbRow): UserSummaryView {
  return {
    id: r.user_id,
    externalId: r.external_id,
    userName: r.user_name,
    displayName: r.display_name,
    givenName: r.given_name,
    familyName: r.family_name,
    primaryEmail: r.primary_email,
    active: r.active,
    status: r.active ? 'active' : 'inactive',
    department: r.department,
    title: r.title,
    groups: r.groups,
    roles: r.roles,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    lastEvent: { type: r.last_event_type, at: r.last_event_at.toISOString() },
  };
}
