import { ScimError } from '../errors/scim.error';
import { validateResource } from '../schema/resource.validator';
import { compileFilterPredicate, matchesFilter } from './filter.evaluator';
import { parseFilter } from './filter.parser';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const user = (body: Record<string, unknown>): Record<string, unknown> =>
  validateResource({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], ...body }, { resourceType: 'User', mode: 'stored' }).resource;

const bjensen = user({
  id: '2819c223-7f76-453a-919d-413861904646',
  userName: 'bjensen',
  name: { familyName: "O'Malley", givenName: 'Barbara' },
  title: 'Tour Guide',
  userType: 'Employee',
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  ims: [{ value: 'babs@foo.com', type: 'xmpp' }],
  [ENTERPRISE]: { employeeNumber: '701984', manager: { value: 'm-1' } },
  meta: { resourceType: 'User', created: '2010-01-23T04:56:22Z', lastModified: '2011-05-13T04:42:34Z' },
});

const intern = user({
  id: 'intern-1',
  userName: 'JSmith',
  userType: 'Intern',
  active: false,
  emails: [{ value: 'js@example.org', type: 'home' }],
  meta: { resourceType: 'User', created: '2012-01-01T00:00:00Z', lastModified: '2012-01-01T00:00:00Z' },
});

const matches = (filter: string, resource: unknown): boolean => matchesFilter(resource, parseFilter(filter), { resourceType: 'User' });

describe('matchesFilter: RFC 7644 §3.4.2.2 examples against a known user', () => {
  it.each([
    ['userName eq "bjensen"', true, false],
    ['userName eq "BJENSEN"', true, false],
    ['name.familyName co "O\'Malley"', true, false],
    ['userName sw "J"', false, true],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"', false, true],
    ['title pr', true, false],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', false, true],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', true, true],
    ['meta.lastModified lt "2011-05-13T04:42:34Z"', false, false],
    ['meta.lastModified le "2011-05-13T04:42:34Z"', true, false],
    ['title pr and userType eq "Employee"', true, false],
    ['title pr or userType eq "Intern"', true, true],
    ['schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"', true, false],
    ['userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', true, false],
    ['userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")', false, false],
    ['userType eq "Employee" and (emails.type eq "work")', true, false],
    ['userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', true, false],
    ['emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]', true, false],
  ])('%s → bjensen %s, intern %s', (filter, forBjensen, forIntern) => {
    expect(matches(filter, bjensen)).toBe(forBjensen);
    expect(matches(filter, intern)).toBe(forIntern);
  });
});

describe('matchesFilter: semantics', () => {
  it('requires ONE element to satisfy a whole value path, unlike two separate conditions', () => {
    // bjensen has a work email at example.com and a home email at jensen.org.
    expect(matches('emails[type eq "home" and value co "example.com"]', bjensen)).toBe(false);
    expect(matches('emails.type eq "home" and emails.value co "example.com"', bjensen)).toBe(true);
  });

  it('matches a multi-valued sub-attribute when any value matches', () => {
    expect(matches('emails.value eq "BABS@jensen.org"', bjensen)).toBe(true);
  });

  it('treats ne as "not eq": a resource without the attribute matches', () => {
    expect(matches('title ne "Tour Guide"', intern)).toBe(true);
    expect(matches('title ne "Tour Guide"', bjensen)).toBe(false);
  });

  it('reads eq null as "not present" and ne null as present', () => {
    expect(matches('title eq null', intern)).toBe(true);
    expect(matches('title eq null', bjensen)).toBe(false);
    expect(matches('title ne null', bjensen)).toBe(true);
  });

  it('compares id and externalId case-sensitively (caseExact) but userName not', () => {
    expect(matches('id eq "INTERN-1"', intern)).toBe(false);
    expect(matches('id eq "intern-1"', intern)).toBe(true);
    expect(matches('userName eq "jsmith"', intern)).toBe(true);
  });

  it('compares booleans and extension attributes, short or qualified', () => {
    expect(matches('active eq false', intern)).toBe(true);
    expect(matches('active eq true', intern)).toBe(false);
    expect(matches(`${ENTERPRISE}:manager.value eq "M-1"`, bjensen)).toBe(true);
    expect(matches('employeeNumber sw "70"', bjensen)).toBe(true);
    expect(matches(`${ENTERPRISE}:employeeNumber pr`, intern)).toBe(false);
  });

  it('orders strings by code point after case folding', () => {
    expect(matches('userName gt "BJ"', bjensen)).toBe(true);
    expect(matches('userName lt "bjensen "', bjensen)).toBe(true);
  });

  it('compares dateTimes chronologically whatever the offset', () => {
    expect(matches('meta.lastModified eq "2011-05-13T06:42:34+02:00"', bjensen)).toBe(true);
  });

  it.each([
    ['unknownAttr eq "x"', 'an unknown attribute'],
    ['active gt true', 'ordering a boolean'],
    ['active eq "true"', 'a string for a boolean'],
    ['userName eq 5', 'a number for a string'],
    ['meta.lastModified gt "yesterday"', 'a non-date for a dateTime'],
    ['meta.lastModified co "2011"', 'a substring of a dateTime'],
    ['name eq "x"', 'a complex attribute without a value sub-attribute'],
    ['emails[nope eq "x"]', 'an unknown sub-attribute in a value path'],
    ['userName[value eq "x"]', 'a value path on a simple attribute'],
    ['userName gt null', 'ordering against null'],
  ])('rejects %s (%s) with invalidFilter', (filter) => {
    try {
      compileFilterPredicate(parseFilter(filter), { resourceType: 'User' });
      throw new Error('expected a ScimError');
    } catch (error) {
      expect(error).toBeInstanceOf(ScimError);
      expect((error as ScimError).scimType).toBe('invalidFilter');
    }
  });

  it('filters groups by member value', () => {
    const group = validateResource({ displayName: 'Admins', members: [{ value: 'u1' }, { value: 'u2' }] }, { resourceType: 'Group' }).resource;
    expect(matchesFilter(group, parseFilter('members[value eq "u2"]'), { resourceType: 'Group' })).toBe(true);
    expect(matchesFilter(group, parseFilter('members.value eq "u3"'), { resourceType: 'Group' })).toBe(false);
    expect(matchesFilter(group, parseFilter('displayName eq "admins"'), { resourceType: 'Group' })).toBe(true);
  });
});
