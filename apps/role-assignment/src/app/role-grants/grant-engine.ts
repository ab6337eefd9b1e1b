import type { PoolClient } from 'pg';

/*
 * Effective roles, set-based: for a set of users of one directory (or all of them), what their groups'
 * mappings and the default role grant them now, compared with the grants already published
 * (`role_grants`). One SQL statement computes the difference and writes it; the caller turns the rows it
 * returns into RoleAssigned / RoleRevoked events. A mapping change over ten thousand members is one
 * statement, not ten thousand queries. The rule is the one of domain/effective-roles.ts (tested against
 * it by the property test).
 */

export type AffectedUsers = { readonly kind: 'all' } | { readonly kind: 'users'; readonly userIds: readonly string[] };

export interface GrantChangeRow {
  readonly kind: 'assigned' | 'revoked';
  readonly userId: string;
  readonly role: string;
  /** assigned: the groups granting it now; revoked: the groups that granted it until now. */
  readonly via: readonly string[];
}

/**
 * What the users hold now and should hold, as one row per (user, role) that differs: `new_via` NULL =
 * to revoke, `old_via` NULL = to assign, both = still held through other groups. Written without
 * correlated sub-queries: every step is a join the planner can hash when many users are affected (a
 * mapping change over a large group) and run by index when few are; and the statement is planned with
 * its parameters each time (no named prepared statement), so it knows which case it is in.
 */
const DIFFERENCE = `
  affected AS (
    SELECT DISTINCT user_id FROM (
      SELECT unnest($2::text[]) AS user_id
      UNION ALL SELECT user_id FROM directory_users WHERE directory_id = $1 AND $3::boolean
      UNION ALL SELECT user_id FROM role_grants WHERE directory_id = $1 AND $3::boolean) AS a),
  active_users AS (
    SELECT u.user_id FROM directory_users AS u JOIN affected AS a ON a.user_id = u.user_id
     WHERE u.directory_id = $1 AND u.active),
  candidates AS (
    -- What the user's groups grant …
    SELECT m.user_id, gr.role_key, array_agg(m.group_id ORDER BY m.group_id COLLATE "C") AS via, NULL::text AS applies_to
      FROM group_members AS m
      JOIN active_users AS u ON u.user_id = m.user_id
      JOIN group_roles AS gr ON gr.directory_id = m.directory_id AND gr.group_id = m.group_id
     WHERE m.directory_id = $1
     GROUP BY m.user_id, gr.role_key
    UNION ALL
    -- … and the default role, if the directory has one.
    SELECT u.user_id, d.default_role, NULL::text[], d.default_applies_to
      FROM active_users AS u CROSS JOIN known_directories AS d
     WHERE d.directory_id = $1 AND d.default_role IS NOT NULL),
  ranked AS (
    SELECT user_id, role_key, via, applies_to,
           count(via) OVER (PARTITION BY user_id) AS group_granted,
           count(*) OVER (PARTITION BY user_id, role_key) AS sources
      FROM candidates),
  desired AS (
    -- Group grants always; the default role where no group grants it too, and (unless it is for
    -- everyone) only to users no group grants any role.
    SELECT user_id, role_key, coalesce(via, '{}'::text[]) AS via FROM ranked
     WHERE via IS NOT NULL OR (sources = 1 AND (applies_to = 'everyone' OR group_granted = 0))),
  current AS (
    SELECT g.user_id, g.role_key, g.via_group_ids AS via FROM role_grants AS g JOIN affected AS a ON a.user_id = g.user_id
     WHERE g.directory_id = $1),
  difference AS (
    SELECT coalesce(d.user_id, c.user_id) AS user_id, coalesce(d.role_key, c.role_key) AS role_key, d.via AS new_via, c.via AS old_via
      FROM desired AS d FULL JOIN current AS c ON c.user_id = d.user_id AND c.role_key = d.role_key
     WHERE d.user_id IS NULL OR c.user_id IS NULL OR d.via IS DISTINCT FROM c.via)`;

const REGRANT = `WITH ${DIFFERENCE},
  revoked AS (
    DELETE FROM role_grants AS g USING difference AS x
     WHERE x.new_via IS NULL AND g.directory_id = $1 AND g.user_id = x.user_id AND g.role_key = x.role_key
    RETURNING g.user_id, g.role_key, g.via_group_ids AS via),
  assigned AS (
    INSERT INTO role_grants (directory_id, user_id, role_key, via_group_ids, granted_at)
    SELECT $1, x.user_id, x.role_key, x.new_via, $4::timestamptz FROM difference AS x WHERE x.old_via IS NULL
    RETURNING user_id, role_key, via_group_ids AS via),
  -- Still held, now through other groups: kept up to date, and no event (the role did not change hands).
  rerouted AS (
    UPDATE role_grants AS g SET via_group_ids = x.new_via FROM difference AS x
     WHERE x.new_via IS NOT NULL AND x.old_via IS NOT NULL AND g.directory_id = $1 AND g.user_id = x.user_id AND g.role_key = x.role_key
    RETURNING 1)
  SELECT kind, user_id, role_key, via FROM (
    SELECT 'revoked' AS kind, user_id, role_key, via FROM revoked
    UNION ALL SELECT 'assigned', user_id, role_key, via FROM assigned) AS changes
   -- Per user: revocations first, then assignments; users and roles in byte order (deterministic).
   ORDER BY user_id COLLATE "C", kind DESC, role_key COLLATE "C"`;

/** Per role: how many users would gain and lose it (for a preview; nothing is written). */
const DIFF_COUNTS = `WITH ${DIFFERENCE}
  SELECT role_key,
         count(*) FILTER (WHERE old_via IS NULL)::int AS gaining,
         count(*) FILTER (WHERE new_via IS NULL)::int AS losing
    FROM difference
   GROUP BY role_key
  HAVING count(*) FILTER (WHERE old_via IS NULL OR new_via IS NULL) > 0
   ORDER BY role_key COLLATE "C"`;

function parameters(directoryId: string, affected: AffectedUsers): unknown[] {
  return [directoryId, affected.kind === 'users' ? affected.userIds : [], affected.kind === 'all'];
}

/**
 * Brings the published grants of `affected` users in line with their effective roles and returns what
 * changed. `at` is the time of the event that caused it (grants carry it, never the wall clock).
 */
export async function regrant(tx: PoolClient, directoryId: string, affected: AffectedUsers, at: string): Promise<GrantChangeRow[]> {
  if (affected.kind === 'users' && affected.userIds.length === 0) return [];
  const { rows } = await withoutNestedLoopsWhenLarge(tx, affected, () =>
    tx.query<{ kind: 'assigned' | 'revoked'; user_id: string; role_key: string; via: string[] }>(REGRANT, [...parameters(directoryId, affected), at]),
  );
  return rows.map((r) => ({ kind: r.kind, userId: r.user_id, role: r.role_key, via: r.via }));
}

/** Per role, the users that would gain and lose it if the grants were brought in line now. */
export async function grantDifference(tx: PoolClient, directoryId: string): Promise<{ role: string; gaining: number; losing: number }[]> {
  const all: AffectedUsers = { kind: 'all' };
  const { rows } = await withoutNestedLoopsWhenLarge(tx, all, () => tx.query<{ role_key: string; gaining: number; losing: number }>(DIFF_COUNTS, parameters(directoryId, all)));
  return rows.map((r) => ({ role: r.role_key, gaining: r.gaining, losing: r.losing }));
}

/** Above this many users an event's regrant is planned without nested loops (below). */
const LARGE_AFFECTED_SET = 200;

/**
 * Runs `statement` with nested-loop joins off (for this statement only) when many users are affected.
 * The case that needs it is the common one: a directory's first sync fills the tables, and the admin
 * maps a group right after, before autovacuum has analysed them. The planner then believes the
 * directory has a few dozen users and joins the members to the affected users with a nested loop over
 * a CTE: 10,000 members took 9.6 s (10^8 comparisons) instead of a few ms by hash. Few affected users
 * keep the index lookups that make a single membership change fast.
 */
async function withoutNestedLoopsWhenLarge<T>(tx: PoolClient, affected: AffectedUsers, statement: () => Promise<T>): Promise<T> {
  const large = affected.kind === 'all' || affected.userIds.length > LARGE_AFFECTED_SET;
  if (!large) return statement();
  await tx.query('SET LOCAL enable_nestloop = off');
  // If the statement fails the transaction is aborted, and SET LOCAL ends with it.
  const result = await statement();
  await tx.query('RESET enable_nestloop');
  return result;
}
