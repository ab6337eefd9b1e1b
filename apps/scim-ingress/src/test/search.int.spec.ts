import { createDirectory, scimClient, startIngress, type Ingress } from './ingress.test-support';

/*
 * Root-level search (RFC 7644 §3.4.3): users then groups as one list, paged without reading more than
 * the page from either table.
 */

let ingress: Ingress;

beforeAll(async () => {
  ingress = await startIngress();
}, 60_000);

afterAll(async () => {
  await ingress?.close();
});

it('pages users then groups as one list, with totals from both', async () => {
  const scim = scimClient(await createDirectory(ingress, 'okta'));
  for (const name of ['ana', 'ben', 'cai']) expect((await scim('POST', '/Users', { userName: `${name}@example.com` })).status).toBe(201);
  for (const name of ['Admins', 'Staff']) expect((await scim('POST', '/Groups', { displayName: name })).status).toBe(201);
  const search = async (startIndex: number, count: number, extra: Record<string, unknown> = {}) => {
    const reply = await scim('POST', '/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], startIndex, count, ...extra });
    expect(reply.status).toBe(200);
    const resources = reply.body['Resources'] as { userName?: string; displayName?: string }[];
    return { total: reply.body['totalResults'], startIndex: reply.body['startIndex'], names: resources.map((r) => r.userName ?? r.displayName) };
  };
  const all = await search(1, 10);
  // Users (in the server's stable order), then groups.
  expect(all.total).toBe(5);
  expect([...all.names.slice(0, 3)].sort()).toEqual(['ana@example.com', 'ben@example.com', 'cai@example.com']);
  expect([...all.names.slice(3)].sort()).toEqual(['Admins', 'Staff']);
  // Every window is the same slice of that list, across the users/groups boundary too.
  for (const [startIndex, count] of [[2, 2], [3, 2], [4, 1], [5, 2], [9, 2], [1, 0]] as const) {
    expect(await search(startIndex, count)).toEqual({ total: 5, startIndex, names: all.names.slice(startIndex - 1, startIndex - 1 + count) });
  }
  // A filter on a user-only attribute: groups contribute nothing, users are filtered.
  expect(await search(1, 10, { filter: 'userName sw "b"' })).toEqual({ total: 1, startIndex: 1, names: ['ben@example.com'] });
}, 60_000);
