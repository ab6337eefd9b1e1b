/**
 * Replays the Okta and Entra ID request transcripts (test-support/fixtures, copied from shared/idp)
 * through the library the way the ingress will use it: normalise → validate/patch → store; lists through
 * parseListQuery → filter → sort/page → project → ListResponse. Only the HTTP layer is missing.
 */
import entraTranscript from '../../test-support/fixtures/entra-id.transcript.json';
import oktaTranscript from '../../test-support/fixtures/okta.transcript.json';
import { ScimError, toScimErrorResponse } from '../errors/scim.error';
import { compileFilterPredicate } from '../filter/filter.evaluator';
import { buildListResponse, type ListResponse } from '../list/list-response';
import { parseListQuery } from '../list/list-query';
import { paginate, sortResources } from '../list/sort.evaluator';
import { buildMeta, withMeta } from '../meta/meta.builder';
import { applyPatchRequest } from '../patch/patch.engine';
import { projectResource } from '../projection/attribute.projection';
import { validateResource, type ScimResource } from '../schema/resource.validator';
import { buildSchemas } from '../discovery/discovery.documents';
import { normalisePatch, normaliseResource } from './provider.registry';
import type { ProviderId } from './provider.types';

interface Step {
  step: string;
  method: string;
  path: string;
  body: unknown;
}

const baseUrl = 'https://sync.example.com/directory/d1/scim/v2';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** A directory's resources in memory, handled as the ingress will handle them. */
class Directory {
  readonly stored = new Map<string, { type: 'User' | 'Group'; resource: ScimResource; version: number }>();
  readonly ids = new Map<string, string>();
  private nextId = 1;
  private clock = Date.UTC(2024, 0, 1);

  constructor(private readonly provider: ProviderId) {}

  send(step: Step): { status: number; body?: unknown } {
    try {
      return this.handle(step);
    } catch (error) {
      const response = toScimErrorResponse(error);
      return { status: response.httpStatus, body: response.body };
    }
  }

  private handle(step: Step): { status: number; body?: unknown } {
    const url = new URL(this.substitute(step.path).replace(/^\/scim\/v2/, ''), 'http://idp.invalid');
    const [, collection, id] = url.pathname.split('/') as [string, string, string | undefined];
    if (collection === 'Schemas') return { status: 200, body: buildSchemas({ baseUrl }) };
    const type = collection === 'Users' ? 'User' : 'Group';
    const body = typeof step.body === 'object' && step.body !== null ? JSON.parse(this.substitute(JSON.stringify(step.body))) : step.body;
    switch (step.method) {
      case 'GET':
        return id === undefined ? { status: 200, body: this.list(type, url.searchParams) } : { status: 200, body: this.output(type, this.find(id).resource) };
      case 'POST': {
        const { resource } = validateResource(normaliseResource(this.provider, type, body), { resourceType: type });
        const newId = `id-${this.nextId++}`;
        return { status: 201, body: this.output(type, this.save(type, newId, resource, 1)) };
      }
      case 'PUT': {
        const current = this.find(id as string);
        const { resource } = validateResource(normaliseResource(this.provider, type, body), { resourceType: type, existing: current.resource });
        return { status: 200, body: this.output(type, this.save(type, id as string, resource, current.version + 1)) };
      }
      case 'PATCH': {
        const current = this.find(id as string);
        const { resource } = applyPatchRequest(current.resource, normalisePatch(this.provider, type, body), { resourceType: type });
        return { status: 200, body: this.output(type, this.save(type, id as string, resource, current.version + 1)) };
      }
      case 'DELETE':
        this.find(id as string);
        this.stored.delete(id as string);
        return { status: 204 };
      default:
        throw new Error(`unexpected method ${step.method}`);
    }
  }

  /** Transcript placeholders: `{id}` is the last user created, `{groupId}` the last group. */
  private substitute(text: string): string {
    return text.replace(/\{(id|groupId|managerScimId)\}/g, (_match, name: string) => this.ids.get(name) ?? `unknown-${name}`);
  }

  private find(id: string): { type: 'User' | 'Group'; resource: ScimResource; version: number } {
    const found = this.stored.get(id);
    if (!found) throw ScimError.notFound(`no resource ${id}`);
    return found;
  }

  private save(type: 'User' | 'Group', id: string, resource: ScimResource, version: number): ScimResource {
    this.clock += 1000;
    const created = this.stored.get(id)?.resource['meta'] as { created?: string } | undefined;
    const meta = buildMeta({ resourceType: type, id, baseUrl, created: created?.created ?? new Date(this.clock), lastModified: new Date(this.clock), version });
    const saved = withMeta(resource, id, meta);
    this.stored.set(id, { type, resource: saved, version });
    this.ids.set(type === 'User' ? 'id' : 'groupId', id);
    return saved;
  }

  private list(type: 'User' | 'Group', params: URLSearchParams): ListResponse {
    const query = parseListQuery(Object.fromEntries(params.entries()));
    const all = [...this.stored.values()].filter((entry) => entry.type === type).map((entry) => entry.resource);
    const matching = query.filter ? all.filter(compileFilterPredicate(query.filter, { resourceType: type })) : all;
    const page = paginate(sortResources(matching, query, { resourceType: type }), query);
    return buildListResponse({
      resources: page.map((r) => projectResource(r, { resourceType: type, attributes: query.attributes, excludedAttributes: query.excludedAttributes })),
      totalResults: matching.length,
      startIndex: query.startIndex,
    });
  }

  private output(type: 'User' | 'Group', resource: ScimResource): ScimResource {
    return projectResource(resource, { resourceType: type });
  }
}

const steps = (transcript: unknown): Step[] => transcript as Step[];
const byName = (transcript: Step[], prefix: string): Step => {
  const step = transcript.find((s) => s.step.startsWith(prefix));
  if (!step) throw new Error(`no step ${prefix}`);
  return step;
};

describe('Okta transcript', () => {
  const okta = steps(oktaTranscript);
  const directory = new Directory('okta');
  const user = (): ScimResource => directory.stored.get(directory.ids.get('id') as string)?.resource as ScimResource;
  const group = (): ScimResource | undefined => directory.stored.get(directory.ids.get('groupId') as string)?.resource;

  it('1. existence check: 200 with an empty ListResponse', () => {
    expect(directory.send(byName(okta, '1.'))).toEqual({ status: 200, body: buildListResponse({ resources: [], totalResults: 0, startIndex: 1 }) });
  });

  it('2. create user: 201, password neither stored nor returned', () => {
    const response = directory.send(byName(okta, '2.'));
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ id: 'id-1', userName: 'test.user@okta.local', active: true, meta: { resourceType: 'User', version: 'W/"1"' } });
    expect(response.body).not.toHaveProperty('password');
    expect(user()).not.toHaveProperty('password');
  });

  it('2. a second create of the same userName is found by a case-insensitive lookup (for the 409)', () => {
    const lookup = directory.send({ ...byName(okta, '1.'), path: '/scim/v2/Users?filter=userName%20eq%20%22TEST.USER%40OKTA.LOCAL%22' });
    expect(lookup.body).toMatchObject({ totalResults: 1 });
  });

  it('3. read, then full PUT: name.middleName set, id and meta kept', () => {
    expect(directory.send(byName(okta, '3a.')).status).toBe(200);
    const response = directory.send(byName(okta, '3b.'));
    expect(response.status).toBe(200);
    expect(user()['name']).toEqual({ familyName: 'User', givenName: 'Another', middleName: 'Excited' });
    expect(user()['meta']).toMatchObject({ version: 'W/"2"', created: '2024-01-01T00:00:01.000Z' });
  });

  it('4. deactivate by path-less replace, 4b. by PUT', () => {
    expect(directory.send(byName(okta, '4. ')).status).toBe(200);
    expect(user()['active']).toBe(false);
    expect(directory.send(byName(okta, '4b.')).status).toBe(200);
    expect(user()['active']).toBe(false);
    expect(user()['name']).toEqual({ familyName: 'User', givenName: 'Test' });
  });

  it('5. push group with empty members', () => {
    const response = directory.send(byName(okta, '5.'));
    expect(response.status).toBe(201);
    expect(group()).toMatchObject({ displayName: 'Test SCIMv2' });
    expect(group()).not.toHaveProperty('members');
  });

  it('6. rename with the id inside the value: accepted', () => {
    expect(directory.send(byName(okta, '6.')).status).toBe(200);
    expect(group()?.['displayName']).toBe('Test SCIMv2');
  });

  it('7. remove a non-member and add a member in one PATCH', () => {
    expect(directory.send(byName(okta, '7.')).status).toBe(200);
    expect(group()?.['members']).toEqual([{ value: '23a35c27-23d3-4c03-b4c5-6443c09e7173', display: 'test.user@okta.local' }]);
  });

  it('8. replace members sets the exact membership', () => {
    expect(directory.send(byName(okta, '8.')).status).toBe(200);
    expect((group()?.['members'] as { value: string }[]).map((m) => m.value)).toEqual(['23a35c27-23d3-4c03-b4c5-6443c09e7173', '89bb1940-b905-4575-9e7f-6f887cfb368e']);
  });

  it('9. delete group', () => {
    expect(directory.send(byName(okta, '9.')).status).toBe(204);
    expect(group()).toBeUndefined();
  });

  it('10. import with integer paging fields', () => {
    const response = directory.send({ ...byName(okta, '10.'), path: '/scim/v2/Users?startIndex=1&count=100' });
    expect(response.body).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
  });
});

describe('Entra ID transcript', () => {
  const entra = steps(entraTranscript);
  const directory = new Directory('entra-id');
  const user = (): ScimResource | undefined => directory.stored.get(directory.ids.get('id') as string)?.resource;
  const group = (): ScimResource | undefined => directory.stored.get(directory.ids.get('groupId') as string)?.resource;

  it('1. test connection with a random value: an empty ListResponse', () => {
    const response = directory.send({ ...byName(entra, '1.'), path: '/Users?filter=userName+eq+%2200aa00aa-bb11-cc22-dd33-44ee44ee44ee%22' });
    expect(response).toMatchObject({ status: 200, body: { totalResults: 0, Resources: [] } });
  });

  it('2. match user: always a ListResponse', () => {
    expect(directory.send(byName(entra, '2.'))).toMatchObject({ status: 200, body: { totalResults: 0 } });
  });

  it('3. create user with the enterprise schema listed and empty roles', () => {
    const response = directory.send(byName(entra, '3.'));
    expect(response.status).toBe(201);
    expect(user()).toMatchObject({ userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee', active: true, name: { formatted: 'givenName familyName' } });
    expect(user()).not.toHaveProperty('roles');
  });

  it('2. match user again: now found, also by the form-encoded externalId filter', () => {
    expect(directory.send(byName(entra, '2.')).body).toMatchObject({ totalResults: 1 });
    const byExternalId = directory.send({ ...byName(entra, '2.'), path: '/Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22' });
    expect(byExternalId.body).toMatchObject({ totalResults: 1 });
    const byWorkEmail = directory.send({ ...byName(entra, '2.'), path: '/Users?filter=emails[type eq "work"].value eq "test_user_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"' });
    expect(byWorkEmail.body).toMatchObject({ totalResults: 1 });
  });

  it('4. update: capitalised ops, work email by value path, family name, qualified employeeNumber', () => {
    expect(directory.send(byName(entra, '4.')).status).toBe(200);
    expect(user()?.['emails']).toEqual([{ value: 'updatedEmail@microsoft.com', type: 'work', primary: true }]);
    expect(user()?.['name']).toMatchObject({ familyName: 'updatedFamilyName' });
    expect(user()?.[ENTERPRISE]).toEqual({ employeeNumber: 'Eqpj' });
  });

  it('5. manager as a bare id', () => {
    directory.ids.set('managerScimId', 'manager-1');
    expect(directory.send(byName(entra, '5.')).status).toBe(200);
    expect(user()?.[ENTERPRISE]).toEqual({ employeeNumber: 'Eqpj', manager: { value: 'manager-1' } });
  });

  it('6. disable with the string "False"', () => {
    expect(directory.send(byName(entra, '6.')).status).toBe(200);
    expect(user()?.['active']).toBe(false);
  });

  it('7. hard delete, then 404 for a second delete', () => {
    expect(directory.send(byName(entra, '7.')).status).toBe(204);
    expect(directory.send(byName(entra, '7.'))).toMatchObject({ status: 404, body: { status: '404' } });
  });

  it('8. match group before it exists; 9. create group with the extra ADSCIM schema', () => {
    expect(directory.send(byName(entra, '8.')).body).toMatchObject({ totalResults: 0 });
    expect(directory.send(byName(entra, '9.')).status).toBe(201);
    expect(group()?.['schemas']).toEqual(['urn:ietf:params:scim:schemas:core:2.0:Group']);
    const found = directory.send(byName(entra, '8.')).body as ListResponse;
    expect(found.totalResults).toBe(1);
    expect(found.Resources[0]).not.toHaveProperty('members');
  });

  it('10. add two members in one op, twice: the second time changes nothing', () => {
    expect(directory.send(byName(entra, '10.')).status).toBe(200);
    const once = group()?.['members'];
    expect(directory.send(byName(entra, '10.')).status).toBe(200);
    expect(group()?.['members']).toEqual(once);
    expect(once).toEqual([{ value: 'f648f8d5ea4e4cd38e9c' }, { value: 'a1b2c3' }]);
  });

  it('11. Remove members with a value list removes that member only', () => {
    expect(directory.send(byName(entra, '11.')).status).toBe(200);
    expect(group()?.['members']).toEqual([{ value: 'a1b2c3' }]);
  });

  it('11b. remove by value filter of a non-member is a no-op', () => {
    expect(directory.send(byName(entra, '11b.')).status).toBe(200);
    expect(group()?.['members']).toEqual([{ value: 'a1b2c3' }]);
  });

  it('12. rename; 13. delete group', () => {
    expect(directory.send(byName(entra, '12.')).status).toBe(200);
    expect(group()?.['displayName']).toBe('1879db59-...updatedDisplayName');
    expect(directory.send(byName(entra, '13.')).status).toBe(204);
  });

  it('14. schema discovery: a ListResponse of Schema resources', () => {
    expect(directory.send(byName(entra, '14.')).body).toMatchObject({ totalResults: 3, Resources: expect.any(Array) });
  });
});
