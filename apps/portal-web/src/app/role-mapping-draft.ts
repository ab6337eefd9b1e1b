import type { RoleMappingBody, RoleMappingSet } from './api';

/** The role mapping being edited: roles per group id, the default role. Pure, unit-tested. */
export interface MappingDraft {
  readonly rolesByGroup: Readonly<Record<string, readonly string[]>>;
  readonly defaultRole: string | null;
  readonly defaultRoleAppliesTo: 'unassigned' | 'everyone';
}

export function draftFrom(set: RoleMappingSet | undefined): MappingDraft {
  return {
    rolesByGroup: Object.fromEntries((set?.mappings ?? []).map((m) => [m.groupId, [...m.roles].sort()])),
    defaultRole: set?.defaultRole ?? null,
    defaultRoleAppliesTo: set?.defaultRoleAppliesTo ?? 'unassigned',
  };
}

export function toggleRole(draft: MappingDraft, groupId: string, role: string): MappingDraft {
  const current = draft.rolesByGroup[groupId] ?? [];
  const next = current.includes(role) ? current.filter((r) => r !== role) : [...current, role].sort();
  return { ...draft, rolesByGroup: { ...draft.rolesByGroup, [groupId]: next } };
}

/** The PUT/preview body: groups with at least one role, in a stable order. */
export function bodyOf(draft: MappingDraft): RoleMappingBody {
  return {
    mappings: Object.entries(draft.rolesByGroup)
      .filter(([, roles]) => roles.length > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([groupId, roles]) => ({ groupId, roles: [...roles] })),
    defaultRole: draft.defaultRole,
    defaultRoleAppliesTo: draft.defaultRoleAppliesTo,
  };
}

export function sameDraft(a: MappingDraft, b: MappingDraft): boolean {
  return JSON.stringify(bodyOf(a)) === JSON.stringify(bodyOf(b));
}

/** "+3 admin, −1 viewer" style lines for the roles that change; [] when nothing would. */
export function previewLines(preview: readonly { role: string; gaining: number; losing: number }[], displayName: (role: string) => string): string[] {
  return preview
    .filter((p) => p.gaining > 0 || p.losing > 0)
    .map((p) => {
      const parts = [p.gaining > 0 ? `${p.gaining} ${p.gaining === 1 ? 'user gains' : 'users gain'}` : null, p.losing > 0 ? `${p.losing} ${p.losing === 1 ? 'user loses' : 'users lose'}` : null];
      return `${displayName(p.role)}: ${parts.filter(Boolean).join(', ')}`;
    });
}
