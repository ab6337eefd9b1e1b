import { buildEnvelope, parseEnvelope } from './event-envelope';
import { EXAMPLE_IDS, EXAMPLES, exampleInput } from './examples';
import { createUpcasterRegistry, upcast, upcasters } from './upcasters';

/*
 * A test-only event, never in the public catalog: FakeRenamed v1 had `name`; v2 split it into
 * `givenName` and `familyName`; v3 added `tags`.
 */
interface FakeRenamedV1 {
  readonly name: string;
}
interface FakeRenamedV2 {
  readonly givenName: string;
  readonly familyName: string;
}
interface FakeRenamedV3 extends FakeRenamedV2 {
  readonly tags: readonly string[];
}

const v1ToV2 = (data: FakeRenamedV1): FakeRenamedV2 => {
  const [givenName = '', ...rest] = data.name.split(' ');
  return { givenName, familyName: rest.join(' ') };
};
const v2ToV3 = (data: FakeRenamedV2): FakeRenamedV3 => ({ ...data, tags: [] });

const LATEST: Record<string, number> = { FakeRenamed: 2 };
const fakeRegistry = (latest: Record<string, number> = LATEST) =>
  createUpcasterRegistry({
    latestVersionOf: (type) => {
      const version = latest[type];
      if (version === undefined) throw new Error(`unknown event type ${type}`);
      return version;
    },
  });

describe('upcaster registry', () => {
  it('given a V1 event and a V1→V2 upcaster, when read, then it comes out as V2', () => {
    const registry = fakeRegistry().register('FakeRenamed', 1, v1ToV2);
    expect(registry.upcast('FakeRenamed', 1, { name: 'Barbara Ann Jensen' })).toEqual({
      version: 2,
      data: { givenName: 'Barbara', familyName: 'Ann Jensen' },
    });
  });

  it('leaves data already at the latest version untouched', () => {
    const data = { givenName: 'B', familyName: 'J' };
    const result = fakeRegistry().register('FakeRenamed', 1, v1ToV2).upcast('FakeRenamed', 2, data);
    expect(result).toEqual({ version: 2, data });
    expect(result.data).toBe(data);
  });

  it('chains steps: V1 reaches V3 through V2', () => {
    const registry = fakeRegistry({ FakeRenamed: 3 }).register('FakeRenamed', 1, v1ToV2).register('FakeRenamed', 2, v2ToV3);
    expect(registry.upcast('FakeRenamed', 1, { name: 'Barbara Jensen' })).toEqual({
      version: 3,
      data: { givenName: 'Barbara', familyName: 'Jensen', tags: [] },
    });
  });

  it('refuses to read through a gap in the chain', () => {
    const registry = fakeRegistry({ FakeRenamed: 3 }).register('FakeRenamed', 2, v2ToV3);
    expect(() => registry.upcast('FakeRenamed', 1, { name: 'x' })).toThrow('no upcaster registered for FakeRenamed v1→v2');
  });

  it('refuses versions it does not know, and unknown types', () => {
    const registry = fakeRegistry().register('FakeRenamed', 1, v1ToV2);
    expect(() => registry.upcast('FakeRenamed', 3, {})).toThrow('cannot upcast FakeRenamed v3: known versions are 1..2');
    expect(() => registry.upcast('FakeRenamed', 0, {})).toThrow('known versions are 1..2');
    expect(() => registry.upcast('Other', 1, {})).toThrow('unknown event type Other');
  });

  it('refuses a second upcaster for the same step and one from the latest version', () => {
    const registry = fakeRegistry().register('FakeRenamed', 1, v1ToV2);
    expect(() => registry.register('FakeRenamed', 1, v1ToV2)).toThrow('already registered');
    expect(() => registry.register('FakeRenamed', 2, v2ToV3)).toThrow('v2 is already the latest version');
  });

  it('keeps registries apart: a test registry does not touch the public one', () => {
    fakeRegistry().register('FakeRenamed', 1, v1ToV2);
    expect(upcasters.has('FakeRenamed', 1)).toBe(false);
  });
});

describe('upcast (public catalog)', () => {
  it('returns data of an event still at v1 as it is', () => {
    const data = { directoryId: 'd' };
    expect(upcast('DirectoryEnabled', 1, data)).toEqual({ version: 1, data });
  });

  it('reads a RoleMappingsChanged v1 as v2: its default role was for everyone, none stays none', () => {
    const mappings = [{ groupId: 'g', roles: ['admin'] }];
    expect(upcast('RoleMappingsChanged', 1, { directoryId: 'd', mappings, defaultRole: 'viewer' })).toEqual({
      version: 2,
      data: { directoryId: 'd', mappings, defaultRole: { role: 'viewer', appliesTo: 'everyone' } },
    });
    expect(upcast('RoleMappingsChanged', 1, { directoryId: 'd', mappings: [] })).toEqual({ version: 2, data: { directoryId: 'd', mappings: [], defaultRole: null } });
  });

  it('hands consumers a v1 RoleMappingsChanged message as v2, validated against both schemas', () => {
    const example = EXAMPLES.RoleMappingsChanged;
    const v1 = { ...buildEnvelope(exampleInput(example)), dataschema: 'urn:scimbridge:events:RoleMappingsChanged:v1', data: { directoryId: EXAMPLE_IDS.directoryId, mappings: [], defaultRole: 'viewer' } };
    const parsed = parseEnvelope(JSON.stringify(v1));
    expect(parsed.ok && parsed.event).toEqual({
      type: 'RoleMappingsChanged',
      schemaVersion: 2,
      data: { directoryId: EXAMPLE_IDS.directoryId, mappings: [], defaultRole: { role: 'viewer', appliesTo: 'everyone' } },
    });
    // A v1 message in v2's shape is refused: data is checked against the version it claims.
    const mislabelled = { ...v1, data: example.event.data };
    expect(parseEnvelope(JSON.stringify(mislabelled)).ok).toBe(false);
  });

  it('refuses types outside the catalog', () => {
    expect(() => upcasters.upcast('FakeRenamed', 1, {})).toThrow('unknown event type "FakeRenamed"');
  });
});
