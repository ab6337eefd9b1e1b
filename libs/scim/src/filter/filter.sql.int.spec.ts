import fc from 'fast-check';
import { Client } from 'pg';
import { requiredEnv, uniqueId } from '@scimbridge/testing';
import { rawUser, userFilter, userSortBy } from '../../test-support/scim.arbitraries';
import { parseListQuery } from '../list/list-query';
import { compileListQuery } from '../list/list-query.sql';
import { paginate, sortResources } from '../list/sort.evaluator';
import { validateResource, type ScimResource } from '../schema/resource.validator';
import { SchemaRegistry } from '../schema/schema.registry';
import { attribute } from '../schema/schema.types';
import { ScimError } from '../errors/scim.error';
import { compileFilterPredicate } from './filter.evaluator';
import type { FilterNode } from './filter.ast';
import { parseAttributePath, parseFilter } from './filter.parser';
import { printFilter } from './filter.printer';
import { compileFilter } from './filter.sql';

/**
 * The SQL compiler against the in-memory evaluator, on real PostgreSQL: random canonical users, random
 * filters, the same answer from both. Everything lives in a schema of this test's own, dropped at the end.
 */
const schema = uniqueId('scim_filter').replace(/-/g, '_');
const table = `${schema}.resources`;
const client = new Client({ connectionString: requiredEnv('DATABASE_URL') });
let batch = 0;

beforeAll(async () => {
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`CREATE TABLE ${table} (batch int NOT NULL, id text NOT NULL, resource jsonb NOT NULL, PRIMARY KEY (batch, id))`);
});

afterAll(async () => {
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

/** Validates generated bodies into canonical resources with distinct ids; drops bodies with two primaries. */
function canonicalUsers(bodies: readonly Record<string, unknown>[]): ScimResource[] {
  const users: ScimResource[] = [];
  bodies.forEach((body, index) => {
    try {
      const { resource } = validateResource({ ...body, id: `u${index}` }, { resourceType: 'User', mode: 'stored' });
      users.push(resource);
    } catch (error) {
      if (!(error instanceof ScimError)) throw error;
    }
  });
  return users;
}

async function insert(users: readonly ScimResource[]): Promise<number> {
  batch += 1;
  await client.query(`INSERT INTO ${table} (batch, id, resource) SELECT $1, x ->> 'id', x FROM jsonb_array_elements($2::jsonb) AS x`, [batch, JSON.stringify(users)]);
  return batch;
}

async function sqlIds(batchId: number, filter: FilterNode): Promise<string[]> {
  const { sql, params } = compileFilter(filter, { resourceType: 'User', column: 'r.resource', firstParamIndex: 2 });
  const result = await client.query<{ id: string }>(`SELECT r.id FROM ${table} r WHERE r.batch = $1 AND (${sql}) ORDER BY r.id`, [batchId, ...params]);
  return result.rows.map((row) => row.id);
}

function memoryIds(users: readonly ScimResource[], filter: FilterNode): string[] {
  const predicate = compileFilterPredicate(filter, { resourceType: 'User' });
  return users
    .filter(predicate)
    .map((user) => user['id'] as string)
    .sort();
}

describe('compileFilter on PostgreSQL agrees with the in-memory evaluator', () => {
  it('returns the same ids for random users and random filters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rawUser, { maxLength: 8 }), fc.array(userFilter, { minLength: 1, maxLength: 6 }), async (bodies, filters) => {
        const users = canonicalUsers(bodies);
        const batchId = await insert(users);
        try {
          for (const filter of filters) {
            const expected = memoryIds(users, filter);
            const actual = await sqlIds(batchId, filter);
            if (actual.join() !== expected.join()) {
              throw new Error(`filter ${printFilter(filter)}: SQL ${JSON.stringify(actual)} vs memory ${JSON.stringify(expected)}`);
            }
          }
        } finally {
          await client.query(`DELETE FROM ${table} WHERE batch = $1`, [batchId]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('sorts and pages in the same order as sortResources/paginate', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rawUser, { maxLength: 10 }),
        fc.option(userFilter, { nil: undefined }),
        userSortBy,
        fc.constantFrom('ascending' as const, 'descending' as const),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 12 }),
        async (bodies, filter, sortBy, sortOrder, startIndex, count) => {
          const users = canonicalUsers(bodies);
          const batchId = await insert(users);
          try {
            const query = { ...(filter ? { filter } : {}), sortBy: parseAttributePath(sortBy), sortOrder, startIndex, count };
            const compiled = compileListQuery(query, { resourceType: 'User', column: 'r.resource', firstParamIndex: 2 });
            const rows = await client.query<{ id: string }>(
              `SELECT r.id FROM ${table} r WHERE r.batch = $1 AND (${compiled.where}) ORDER BY ${compiled.orderBy} ${compiled.limit}`,
              [batchId, ...compiled.params],
            );
            const total = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} r WHERE r.batch = $1 AND (${compiled.where})`, [
              batchId,
              ...compiled.whereParams,
            ]);
            const filtered = filter ? users.filter(compileFilterPredicate(filter, { resourceType: 'User' })) : users;
            const expected = paginate(sortResources(filtered, query, { resourceType: 'User' }), query).map((user) => user['id']);
            expect(rows.rows.map((row) => row.id)).toEqual(expected);
            expect(Number(total.rows[0]?.n)).toBe(filtered.length);
          } finally {
            await client.query(`DELETE FROM ${table} WHERE batch = $1`, [batchId]);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('compileFilter on PostgreSQL: fixed cases', () => {
  const users = canonicalUsers([
    {
      userName: 'bjensen',
      title: 'Tour Guide',
      userType: 'Employee',
      emails: [
        { value: 'bjensen@example.com', type: 'work', primary: true },
        { value: 'babs@jensen.org', type: 'home' },
      ],
      meta: { resourceType: 'User', created: '2010-01-23T04:56:22Z', lastModified: '2011-05-13T04:42:34Z' },
    },
    { userName: "O'Hara%_x", emails: [{ value: 'js@example.org', type: 'home' }], meta: { resourceType: 'User', created: '2012-01-01T00:00:00Z', lastModified: '2012-01-01T00:00:00Z' } },
  ]);

  it.each([
    ['userName eq "BJENSEN"', ['u0']],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', ['u1']],
    ['emails[type eq "work" and value co "@example.com"]', ['u0']],
    ['emails[type eq "home" and value co "example.com"]', []],
    ['userName co "%_"', ['u1']],
    ['userName sw "o\'h"', ['u1']],
    ['title ne "Tour Guide"', ['u1']],
    ['title eq null', ['u1']],
    ['userName eq "x\'); DROP TABLE x; --"', []],
  ])('%s → %j', async (filter, expected) => {
    const batchId = await insert(users);
    try {
      expect(await sqlIds(batchId, parseFilter(filter))).toEqual(expected);
    } finally {
      await client.query(`DELETE FROM ${table} WHERE batch = $1`, [batchId]);
    }
  });

  it('answers the connection-test query of Okta and Entra ID (a userName that does not exist) with no rows', async () => {
    const query = parseListQuery({ filter: 'userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"', startIndex: '1', count: '100' });
    const batchId = await insert(users);
    try {
      const compiled = compileListQuery(query, { resourceType: 'User', column: 'r.resource', firstParamIndex: 2 });
      const rows = await client.query(`SELECT r.id FROM ${table} r WHERE r.batch = $1 AND (${compiled.where}) ORDER BY ${compiled.orderBy} ${compiled.limit}`, [
        batchId,
        ...compiled.params,
      ]);
      expect(rows.rowCount).toBe(0);
    } finally {
      await client.query(`DELETE FROM ${table} WHERE batch = $1`, [batchId]);
    }
  });
});

describe('compileFilter on PostgreSQL: numbers, with a custom schema', () => {
  const registry = new SchemaRegistry(
    [{ id: 'urn:example:Device', name: 'Device', description: 'Device', attributes: [attribute('level', 'integer', 'Level'), attribute('score', 'decimal', 'Score'), attribute('tags', 'string', 'Tags', { multiValued: true })] }],
    [{ id: 'Device', name: 'Device', endpoint: '/Devices', description: 'Device', schema: 'urn:example:Device', schemaExtensions: [] }],
  );
  const devices = [
    { id: 'd1', level: 1, score: 0.5, tags: ['a', 'B'] },
    { id: 'd2', level: 3, score: 1.5 },
    { id: 'd3', level: 10, score: -2, tags: ['b'] },
    { id: 'd4' },
  ].map((body) => validateResource(body, { resourceType: 'Device', registry, mode: 'stored' }).resource);

  it.each(['level gt 2', 'level le 3', 'score ge 0.5', 'score lt 0', 'level eq 10 or score eq 0.5', 'not (level ge 3)', 'tags eq "b"', 'tags sw "A"', 'level pr'])(
    '%s: same ids as in memory, ordered numerically by level',
    async (text) => {
      const filter = parseFilter(text);
      const expected = devices.filter(compileFilterPredicate(filter, { resourceType: 'Device', registry })).map((d) => d['id']);
      batch += 1;
      const batchId = batch;
      await client.query(`INSERT INTO ${table} (batch, id, resource) SELECT $1, x ->> 'id', x FROM jsonb_array_elements($2::jsonb) AS x`, [batchId, JSON.stringify(devices)]);
      try {
        const query = { filter, sortBy: parseAttributePath('level'), sortOrder: 'ascending' as const, startIndex: 1, count: 10 };
        const compiled = compileListQuery(query, { resourceType: 'Device', registry, column: 'r.resource', firstParamIndex: 2 });
        const rows = await client.query<{ id: string }>(`SELECT r.id FROM ${table} r WHERE r.batch = $1 AND (${compiled.where}) ORDER BY ${compiled.orderBy} ${compiled.limit}`, [batchId, ...compiled.params]);
        const inMemory = sortResources(devices.filter((d) => expected.includes(d['id'])), query, { resourceType: 'Device', registry }).map((d) => d['id']);
        expect(rows.rows.map((row) => row.id)).toEqual(inMemory);
        expect([...inMemory].sort()).toEqual([...expected].sort());
      } finally {
        await client.query(`DELETE FROM ${table} WHERE batch = $1`, [batchId]);
      }
    },
  );
});
