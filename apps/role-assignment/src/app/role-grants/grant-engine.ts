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

/** What the users hold now (`current`) and should hold (`desired`), for the statements below. */
const DESIRED_AND_CURRENT = `
  affected AS (
    SELECT DISTINCT user_id FROM (
      SELECT unnest($2::text[]) AS user_id
      UNION ALL SELECT user_id FROM directory_users WHERE directory_id = $1 AND $3::boolean
      UNION ALL SELECT user_id FROM role_grants WHERE directory_id = $1 AND $3::boolean) AS a),
  group_granted AS (
    SELECT m.user_id, gr.role_key, array_agg(m.group_id ORDER BY m.group_id COLLATE "C") AS via
      FROM group_members AS m
      JOIN group_roles AS gr ON gr.directory_id = m.directory_id AND gr.group_id = m.group_id
      JOIN directory_users AS u ON u.directory_id = m.directory_id AND u.user_id = m.user_id AND u.active
     WHERE m.directory_id = $1 AND m.user_id IN (SELECT user_id FROM affected)
     GROUP BY m.user_id, gr.role_key),
  default_granted AS (
    SELECT u.user_id, d.default_role AS role_key, '{}'::text[] AS via
      FROM directory_users AS u
      JOIN known_directories AS d ON d.directory_id = u.directory_id
     WHERE u.directory_id = $1 AND u.active AND d.default_role IS NOT NULL
       AND u.user_id IN (SELECT user_id FROM affected)
       AND (d.default_applies_to = 'everyone' OR NOT EXISTS (SELECT 1 FROM group_granted AS g WHERE g.user_id = u.user_id))
       AND NOT EXISTS (SELECT 1 FROM group_granted AS g WHERE g.user_id = u.user_id AND g.role_key = d.default_role)),
  desired AS (SELECT * FROM group_granted UNION ALL SELECT * FROM default_granted),
  current AS (
    SELECT user_id, role_key, via_group_ids AS via FROM role_grants
     WHERE directory_id = $1 AND user_id IN (SELECT user_id FROM affected))`;

const REGRANT = `WITH ${DESIRED_AND_CURRENT},
  revoked AS (
    DELETE FROM role_grants AS g USING current AS c
     WHERE g.directory_id = $1 AND g.user_id = c.user_id AND g.role_key = c.role_key
       AND NOT EXISTS (SELECT 1 FROM desired AS d WHERE d.user_id = c.user_id AND d.role_key = c.role_key)
    RETURNING g.user_id, g.role_key, g.via_group_ids AS via),
  assigned AS (
    INSERT INTO role_grants (directory_id, user_id, role_key, via_group_ids, granted_at)
    SELECT $1, d.user_id, d.role_key, d.via, $4::timestamptz FROM desired AS d
     WHERE NOT EXISTS (SELECT 1 FROM current AS c WHERE c.user_id = d.user_id AND c.role_key = d.role_key)
    RETURNING user_id, role_key, via_group_ids AS via),
  -- Still held, now through other groups: kept up to date, and no event (the role did not change hands).
  rerouted AS (
    UPDATE role_grants AS g SET via_group_ids = d.via
      FROM desired AS d JOIN current AS c ON c.user_id = d.user_id AND c.role_key = d.role_key
     WHERE g.directory_id = $1 AND g.user_id = d.user_id AND g.role_key = d.role_key AND c.via IS DISTINCT FROM d.via
    RETURNING 1)
  SELECT kind, user_id, role_key, via FROM (
    SELECT 'revoked' AS kind, user_id, role_key, via FROM revoked
    UNION ALL SELECT 'assigned', user_id, role_key, via FROM assigned) AS changes
   -- Per user: revocations first, then assignments; users and roles in byte order (deterministic).
   ORDER BY user_id COLLATE "C", kind DESC, role_key COLLATE "C"`;

/** Per role: how many users would gain and lose it (for a preview; nothing is written). */
const DIFF_COUNTS = `WITH ${DESIRED_AND_CURRENT}
  SELECT role_key,
         count(*) FILTER (WHERE kind = 'gain')::int AS gaining,
         count(*) FILTER (WHERE kind = 'lose')::int AS losing
    FROM (
      SELECT 'gain' AS kind, d.role_key FROM desired AS d
       WHERE NOT EXISTS (SELECT 1 FROM current AS c WHERE c.user_id = d.user_id AND c.role_key = d.role_key)
      UNION ALL
      SELECT 'lose', c.role_key FROM current AS c
       WHERE NOT EXISTS (SELECT 1 FROM desired AS d WHERE d.user_id = c.user_id AND d.role_key = c.role_key)) AS x
   GROUP BY role_key
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
  const { rows } = await tx.query<{ kind: 'assigned' | 'revoked'; user_id: string; role_key: string; via: string[] }>({
    name: 'role_assignment_regrant',
    text: REGRANT,
    values: [...parameters(directoryId, affected), at],
  });
  return rows.map((r) => ({ kind: r.kind, userId: r.user_id, role: r.role_key, via: r.via }));
}

/** Per role, the users that would gain and lose it if the grants were brought in line now. */
export async function grantDifference(tx: PoolClient, directoryId: string): Promise<{ role: string; gaining: number; losing: number }[]> {
  const { rows } = await tx.query<{ role_key: string; gaining: number; losing: number }>(DIFF_COUNTS, parameters(directoryId, { kind: 'all' }));
  return rows.map((r) => ({ role: r.role_key, gaining: r.gaining, losing: r.losing }));
}
