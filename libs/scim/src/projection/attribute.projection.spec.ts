import { validateResource } from '../schema/resource.validator';
import { projectResource } from './attribute.projection';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const stored = validateResource(
  {
    id: 'u1',
    userName: 'bjensen',
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    emails: [{ value: 'b@x.com', type: 'work', primary: true }],
    [ENTERPRISE]: { employeeNumber: '7', department: 'Tours' },
    meta: { resourceType: 'User', lastModified: '2011-05-13T04:42:34Z' },
  },
  { resourceType: 'User', mode: 'stored' },
).resource;

describe('projectResource', () => {
  it('returns everything returned by default when nothing is asked', () => {
    expect(projectResource(stored, { resourceType: 'User' })).toEqual(stored);
  });

  it('never returns a password, even one that got into the document', () => {
    expect(projectResource({ ...stored, password: 'secret' }, { resourceType: 'User' })).not.toHaveProperty('password');
    expect(projectResource({ ...stored, password: 'secret' }, { resourceType: 'User', attributes: ['password'] })).not.toHaveProperty('password');
  });

  it('with attributes, returns those plus schemas, id and meta', () => {
    expect(projectResource(stored, { resourceType: 'User', attributes: ['userName', 'name.givenName'] })).toEqual({
      schemas: stored['schemas'],
      id: 'u1',
      userName: 'bjensen',
      name: { givenName: 'Barbara' },
      meta: stored['meta'],
    });
  });

  it('selects extension attributes by qualified name or the whole extension by its URN', () => {
    expect(projectResource(stored, { resourceType: 'User', attributes: [`${ENTERPRISE}:department`] })[ENTERPRISE]).toEqual({ department: 'Tours' });
    expect(projectResource(stored, { resourceType: 'User', attributes: [ENTERPRISE] })[ENTERPRISE]).toEqual({ employeeNumber: '7', department: 'Tours' });
  });

  it('with excludedAttributes, drops those but never id, schemas or meta', () => {
    const projected = projectResource(stored, { resourceType: 'User', excludedAttributes: ['emails', 'id', 'meta', 'name.familyName', ENTERPRISE] });
    expect(projected).toEqual({ schemas: stored['schemas'], id: 'u1', userName: 'bjensen', name: { givenName: 'Barbara' }, meta: stored['meta'] });
  });

  it('returns only the minimum when every requested name is unknown', () => {
    expect(Object.keys(projectResource(stored, { resourceType: 'User', attributes: ['nonsense'] }))).toEqual(['schemas', 'id', 'meta']);
  });

  it('drops members from a group for excludedAttributes=members (Entra ID group match)', () => {
    const group = validateResource({ id: 'g', displayName: 'G', members: [{ value: 'u1' }] }, { resourceType: 'Group', mode: 'stored' }).resource;
    expect(projectResource(group, { resourceType: 'Group', excludedAttributes: ['members'] })).toEqual({ schemas: group['schemas'], id: 'g', displayName: 'G' });
  });
});
