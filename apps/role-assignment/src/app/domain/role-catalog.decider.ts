/*
 * The organization's roles catalog: the app's own roles, which mappings and default roles refer to.
 * Its changes are events of this service's own (`role_catalog:<organizationId>`), private: not part of
 * the public contract, so the relay keeps them in the store (docs/events.md lists the public ones).
 */

export const ROLE_CATALOG_CHANGED = 'RoleCatalogChanged';
export const roleCatalogStream = (organizationId: string): string => `role_catalog:${organizationId}`;

export interface CatalogEntry {
  readonly key: string;
  readonly displayName: string;
  readonly description: string | null;
}

export interface RoleCatalogChangedData {
  readonly organizationId: string;
  /** The complete catalog, in the order the app gave it. */
  readonly roles: readonly CatalogEntry[];
}

export interface ReplaceRoleCatalog {
  readonly organizationId: string;
  readonly roles: readonly CatalogEntry[];
}

export interface RoleCatalogContext {
  readonly current: readonly CatalogEntry[];
  /** Where each role is in use: role key → descriptions such as `directory <id>: group <id>`. */
  readonly usage: ReadonlyMap<string, readonly string[]>;
}

export type RoleCatalogDecision =
  | { readonly kind: 'invalid'; readonly problems: readonly string[] }
  /** A role still mapped or a default role cannot leave the catalog: remove it from the mappings first. */
  | { readonly kind: 'in-use'; readonly problems: readonly string[] }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'changed'; readonly data: RoleCatalogChangedData };

export function decideRoleCatalog(command: ReplaceRoleCatalog, context: RoleCatalogContext): RoleCatalogDecision {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  command.roles.forEach((role, i) => {
    const first = seen.get(role.key);
    if (first !== undefined) problems.push(`roles[${i}].key: ${JSON.stringify(role.key)} is already roles[${first}]`);
    else seen.set(role.key, i);
  });
  if (problems.length > 0) return { kind: 'invalid', problems };

  const removed = context.current.filter((r) => !seen.has(r.key));
  const inUse = removed.flatMap((r) => (context.usage.get(r.key) ?? []).map((where) => `role ${JSON.stringify(r.key)} is still used (${where}); change the role mappings first`));
  if (inUse.length > 0) return { kind: 'in-use', problems: inUse };

  const roles = command.roles.map((r) => ({ key: r.key, displayName: r.displayName, description: r.description }));
  if (JSON.stringify(roles) === JSON.stringify(context.current)) return { kind: 'unchanged' };
  return { kind: 'changed', data: { organizationId: command.organizationId, roles } };
}
