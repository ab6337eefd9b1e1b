import { ScimError, toScimErrorBody, toScimErrorResponse } from './scim.error';

describe('toScimErrorResponse', () => {
  it('turns a ScimError into the SCIM Error schema with status as a string', () => {
    expect(toScimErrorResponse(ScimError.noTarget('no value of "emails" matches'))).toEqual({
      httpStatus: 400,
      body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'noTarget', detail: 'no value of "emails" matches' },
    });
  });

  it('gives 409 uniqueness for a duplicate (what Okta expects)', () => {
    expect(toScimErrorBody(ScimError.uniqueness('userName is taken'))).toMatchObject({ status: '409', scimType: 'uniqueness' });
  });

  it('omits scimType where the RFC defines none', () => {
    expect(toScimErrorBody(ScimError.notFound('no such user'))).not.toHaveProperty('scimType');
  });

  it('turns anything else into a 500 that reveals nothing', () => {
    const response = toScimErrorResponse(new Error('relation "scim_resources" does not exist at /srv/app.js:12'));
    expect(response.httpStatus).toBe(500);
    expect(JSON.stringify(response.body)).not.toMatch(/scim_resources|app\.js/);
    expect(toScimErrorBody('a string thrown')).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '500', detail: 'Internal server error' });
  });
});
