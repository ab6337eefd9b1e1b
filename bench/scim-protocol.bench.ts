/**
 * Throughput of the SCIM protocol library's hot paths, single-threaded: filter parse, filter parse +
 * SQL compile, in-memory filter evaluation, PATCH apply and body validation. Each case runs for a fixed
 * time per sample after a warm-up; the table shows the median of the samples in operations per second.
 *
 *   npx tsx bench/scim-protocol.bench.ts [samples=5] [msPerSample=1000]
 */
import { cpus } from 'node:os';
import {
  applyPatch,
  compileFilter,
  compileFilterPredicate,
  compileListQuery,
  parseFilter,
  parseListQuery,
  validateResource,
  type PatchOperation,
  type ScimResource,
} from '@scimbridge/scim';

const samples = Number(process.argv[2] ?? 5);
const msPerSample = Number(process.argv[3] ?? 1000);
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const SIMPLE = 'userName eq "test.user@okta.local"';
const COMPLEX =
  'userType eq "Employee" and emails[type eq "work" and value co "@example.com"] and not (title pr) or meta.lastModified gt "2011-05-13T04:42:34Z"';

const user: ScimResource = validateResource(
  {
    id: '2819c223',
    userName: 'bjensen',
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    userType: 'Employee',
    active: true,
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ],
    [ENTERPRISE]: { employeeNumber: '701984' },
    meta: { resourceType: 'User', created: '2010-01-23T04:56:22Z', lastModified: '2011-05-13T04:42:34Z' },
  },
  { resourceType: 'User', mode: 'stored' },
).resource;

const bigGroup: ScimResource = validateResource(
  { id: 'g1', displayName: 'Everyone', members: Array.from({ length: 1000 }, (_, i) => ({ value: `user-${i}`, display: `User ${i}` })) },
  { resourceType: 'Group', mode: 'stored' },
).resource;

const entraUpdate: PatchOperation[] = [
  { op: 'replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
  { op: 'replace', path: 'name.familyName', value: 'updatedFamilyName' },
  { op: 'replace', path: `${ENTERPRISE}:employeeNumber`, value: 'Eqpj' },
];

const oktaCreate = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: 'test.user@okta.local',
  name: { givenName: 'Test', familyName: 'User' },
  emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
  displayName: 'Test User',
  locale: 'en-US',
  externalId: '00ujl29u0le5T6Aj10h7',
  groups: [],
  password: '1mz050nq',
  active: true,
};

const sqlOptions = { resourceType: 'User', column: 'r.resource', firstParamIndex: 3 };
const complexPredicate = compileFilterPredicate(parseFilter(COMPLEX), { resourceType: 'User' });

let sink = 0;
const cases: [string, () => unknown][] = [
  ['filter parse, simple (`userName eq`)', () => parseFilter(SIMPLE)],
  ['filter parse, complex (value path, not, dateTime)', () => parseFilter(COMPLEX)],
  ['filter parse + SQL compile, simple', () => compileFilter(parseFilter(SIMPLE), sqlOptions)],
  ['filter parse + SQL compile, complex', () => compileFilter(parseFilter(COMPLEX), sqlOptions)],
  [
    'list query (Okta lookup) parse + compile with sort and paging',
    () => compileListQuery(parseListQuery({ filter: SIMPLE, sortBy: 'name.familyName', startIndex: '1', count: '100' }), sqlOptions),
  ],
  ['filter evaluate in memory, complex (bound once)', () => complexPredicate(user)],
  ['PATCH apply: Entra ID update (3 ops) on a user', () => applyPatch(user, entraUpdate, { resourceType: 'User' })],
  ['PATCH apply: deactivate (path-less replace)', () => applyPatch(user, [{ op: 'replace', value: { active: false } }], { resourceType: 'User' })],
  ['PATCH apply: add 1 member to a 1000-member group', () => applyPatch(bigGroup, [{ op: 'add', path: 'members', value: [{ value: 'new-user' }] }], { resourceType: 'Group' })],
  ['PATCH apply: remove 1 member from a 1000-member group', () => applyPatch(bigGroup, [{ op: 'remove', path: 'members[value eq "user-500"]' }], { resourceType: 'Group' })],
  ['validate: Okta create body', () => validateResource(oktaCreate, { resourceType: 'User' })],
];

function opsPerSecond(run: () => unknown): number {
  let ops = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < msPerSample) {
    for (let i = 0; i < 50; i += 1) {
      if (run() !== undefined) sink += 1;
    }
    ops += 50;
    elapsed = performance.now() - started;
  }
  return (ops * 1000) / elapsed;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function main(): void {
  const rows: string[] = [];
  for (const [name, run] of cases) {
    opsPerSecond(run); // warm-up: let the JIT settle before measuring
    const results = Array.from({ length: samples }, () => opsPerSecond(run));
    rows.push(`| ${name} | ${Math.round(median(results)).toLocaleString('en-US')} | ${Math.round(Math.min(...results)).toLocaleString('en-US')} | ${Math.round(Math.max(...results)).toLocaleString('en-US')} |`);
    process.stderr.write(`${name} done\n`);
  }
  console.log(`\nSCIM protocol library, ${samples} samples × ${msPerSample} ms, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}\n`);
  console.log('| operation | median ops/s | min ops/s | max ops/s |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) console.log(row);
  if (sink < 0) console.log(sink);
}

main();
