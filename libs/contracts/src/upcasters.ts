import { isEventType, latestVersionOf, type EventType } from './event-catalog';
import type { RoleMappingsChangedDataV1, RoleMappingsChangedDataV2 } from './role-mapping-events';

/** Turns data of version N into data of version N+1. Pure: no I/O, no clock, no ids. */
export type Upcaster<TFrom = unknown, TTo = unknown> = (data: TFrom) => TTo;

export interface UpcastResult {
  readonly version: number;
  readonly data: unknown;
}

export interface UpcasterRegistry {
  /** Registers the step from `fromVersion` to `fromVersion + 1`; one step per version, never two. */
  register<TFrom, TTo>(type: string, fromVersion: number, upcaster: Upcaster<TFrom, TTo>): UpcasterRegistry;
  has(type: string, fromVersion: number): boolean;
  /** Applies every step from `version` to the type's latest version. Throws on a gap in the chain. */
  upcast(type: string, version: number, data: unknown): UpcastResult;
}

export interface UpcasterRegistryOptions {
  /** The version to upcast to; throws for types it does not know. */
  readonly latestVersionOf: (type: string) => number;
}

/**
 * Old shapes stay stored as they were written; readers bring them to the latest shape step by step, so
 * a V3 reader needs only V1→V2 and V2→V3, never a V1→V3 special case.
 */
export function createUpcasterRegistry(options: UpcasterRegistryOptions): UpcasterRegistry {
  const steps = new Map<string, Upcaster>();
  const key = (type: string, fromVersion: number): string => `${type}@${fromVersion}`;

  const registry: UpcasterRegistry = {
    register<TFrom, TTo>(type: string, fromVersion: number, upcaster: Upcaster<TFrom, TTo>): UpcasterRegistry {
      if (!Number.isInteger(fromVersion) || fromVersion < 1) throw new Error(`upcaster ${type}: fromVersion must be an integer ≥ 1`);
      if (fromVersion >= options.latestVersionOf(type)) {
        throw new Error(`upcaster ${type} v${fromVersion}→v${fromVersion + 1}: v${fromVersion} is already the latest version`);
      }
      if (steps.has(key(type, fromVersion))) throw new Error(`upcaster ${type} v${fromVersion}→v${fromVersion + 1} is already registered`);
      // Callers validate data against its version's schema before upcasting (parseEnvelope does), which is what makes this cast safe.
      steps.set(key(type, fromVersion), upcaster as Upcaster);
      return registry;
    },
    has(type: string, fromVersion: number): boolean {
      return steps.has(key(type, fromVersion));
    },
    upcast(type: string, version: number, data: unknown): UpcastResult {
      const latest = options.latestVersionOf(type);
      if (!Number.isInteger(version) || version < 1 || version > latest) {
        throw new Error(`cannot upcast ${type} v${version}: known versions are 1..${latest}`);
      }
      let current = data;
      for (let v = version; v < latest; v++) {
        const step = steps.get(key(type, v));
        if (!step) throw new Error(`no upcaster registered for ${type} v${v}→v${v + 1}`);
        current = step(current);
      }
      return { version: latest, data: current };
    },
  };
  return registry;
}

/** The registry for the public catalog: every V(n)→V(n+1) step is registered here. */
export const upcasters: UpcasterRegistry = createUpcasterRegistry({
  latestVersionOf: (type) => {
    if (!isEventType(type)) throw new Error(`unknown event type ${JSON.stringify(type)}`);
    return latestVersionOf(type);
  },
}).register<RoleMappingsChangedDataV1, RoleMappingsChangedDataV2>('RoleMappingsChanged', 1, (data) => ({
  directoryId: data.directoryId,
  mappings: data.mappings,
  // V1's default role was granted to every user whatever their groups.
  defaultRole: data.defaultRole === undefined ? null : { role: data.defaultRole, appliesTo: 'everyone' },
}));

/** Brings data of any known version of `type` to its latest version. */
export function upcast(type: EventType, version: number, data: unknown): UpcastResult {
  return upcasters.upcast(type, version, data);
}
