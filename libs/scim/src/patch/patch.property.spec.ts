import fc from 'fast-check';
import { patchOperation, rawUser } from '../../test-support/scim.arbitraries';
import { ScimError } from '../errors/scim.error';
import { validateResource, type ScimResource } from '../schema/resource.validator';
import { applyPatch } from './patch.engine';

function canonical(body: Record<string, unknown>): ScimResource | undefined {
  try {
    return validateResource({ ...body, id: 'u1' }, { resourceType: 'User', mode: 'stored' }).resource;
  } catch (error) {
    if (error instanceof ScimError) return undefined;
    throw error;
  }
}

describe('applyPatch on random users and operations', () => {
  it('either fails with a SCIM 400 or returns a resource that passes schema validation unchanged', () => {
    let applied = 0;
    let refused = 0;
    fc.assert(
      fc.property(rawUser, fc.array(patchOperation, { minLength: 1, maxLength: 4 }), (body, operations) => {
        const resource = canonical(body);
        fc.pre(resource !== undefined);
        let result: ScimResource;
        try {
          result = applyPatch(resource as ScimResource, operations, { resourceType: 'User' }).resource;
        } catch (error) {
          // Anything but a SCIM 400 (a TypeError, a 500) is a bug.
          expect(error).toBeInstanceOf(ScimError);
          expect((error as ScimError).status).toBe(400);
          refused += 1;
          return;
        }
        applied += 1;
        const revalidated = validateResource(result, { resourceType: 'User', mode: 'stored' });
        expect(revalidated.resource).toEqual(result);
        expect(revalidated.unknownAttributes).toEqual([]);
        expect(result['id']).toBe('u1');
        expect(result['password']).toBeUndefined();
      }),
      { numRuns: 500 },
    );
    // Guard against a generator that only ever produces refused (or only accepted) patches.
    expect(applied).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  it('is deterministic and leaves its input alone', () => {
    fc.assert(
      fc.property(rawUser, fc.array(patchOperation, { minLength: 1, maxLength: 3 }), (body, operations) => {
        const resource = canonical(body);
        fc.pre(resource !== undefined);
        const before = JSON.stringify(resource);
        const run = (): string => {
          try {
            return JSON.stringify(applyPatch(resource as ScimResource, operations, { resourceType: 'User' }).resource);
          } catch (error) {
            return `error:${(error as ScimError).scimType ?? ''}`;
          }
        };
        expect(run()).toBe(run());
        expect(JSON.stringify(resource)).toBe(before);
      }),
      { numRuns: 200 },
    );
  });
});
