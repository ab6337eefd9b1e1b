import { Kafka, logLevel } from 'kafkajs';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { buildContractsPackage } from '../scripts/build-package';
import { buildEnvelope, EVENT_CATALOG, EVENT_TYPES, sourceFor, streamIds, Topics, type ContractEvent, type EventEnvelope } from './index';

/*
 * `@scimbridge/contracts` as an app developer gets it: built, packed with npm, unpacked into a folder
 * outside the repository next to its declared dependencies only, then required by plain Node and
 * type-checked by tsc. An import of anything the package does not ship or declare fails here. Then the
 * consumer program of docs/events.md, copied from the page, is type-checked and run against the run's
 * Kafka and PostgreSQL.
 */

const workspaceRoot = resolve(__dirname, '../../..');

/** Set by the integration tests' globalSetup (libs/testing; not imported here: it depends on this lib). */
function requiredEnv(name: 'DATABASE_URL' | 'KAFKA_BROKERS'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through jest.int.config.cjs`);
  return value;
}
const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });

let scratch: string;
let packageDir: string;
/** An app folder outside the repository: node_modules holds the packed package and its dependencies only. */
let app: string;

/** Makes `name` (a package of the repo's node_modules) resolvable from the app folder. */
function linkFromRepo(name: string): void {
  const target = join(app, 'node_modules', name);
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(join(workspaceRoot, 'node_modules', name), target, 'dir');
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'scimbridge-contracts-'));
  packageDir = buildContractsPackage(join(scratch, 'build'));
  const tarball = npm(['pack', '--pack-destination', scratch, '--silent'], packageDir).trim().split('\n').pop()!;
  app = join(scratch, 'app');
  const installed = join(app, 'node_modules', '@scimbridge', 'contracts');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['xzf', join(scratch, tarball), '-C', installed, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dependency of Object.keys(manifest.dependencies)) linkFromRepo(dependency);
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('@scimbridge/contracts package', () => {
  it('packs JS, declarations, every JSON Schema and the README, and no sources or tests', () => {
    const [pack] = JSON.parse(npm(['pack', '--dry-run', '--json'], packageDir)) as { name: string; files: { path: string }[] }[];
    expect(pack?.name).toBe('@scimbridge/contracts');
    const files = new Set(pack!.files.map((f) => f.path));
    for (const required of ['package.json', 'README.md', 'index.js', 'index.d.ts', 'event-envelope.js', 'schemas/envelope.v1.json', 'schemas/event-metadata.v1.json']) {
      expect(files).toContain(required);
    }
    for (const type of EVENT_TYPES) {
      for (const version of Object.keys(EVENT_CATALOG[type].schemas)) expect(files).toContain(`schemas/events/${type}.v${version}.json`);
    }
    const leaked = [...files].filter((f) => /\.spec\.|(?<!\.d)\.ts$|\.map$|^docs\//.test(f));
    expect(leaked).toEqual([]);
    for (const js of [...files].filter((f) => f.endsWith('.js'))) expect(files).toContain(js.replace(/\.js$/, '.d.ts'));
  });

  it('declares only public registry dependencies, which are all its compiled code requires', () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; private?: boolean };
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['ajv', 'ajv-formats']);
    for (const [name, range] of Object.entries(manifest.dependencies)) {
      expect(name.startsWith('@scimbridge/')).toBe(false);
      expect(range).toMatch(/^\^\d+\.\d+\.\d+$/);
    }
  });

  it('loads and type-checks from a folder that has only the packed package and its declared dependencies', () => {
    writeFileSync(
      join(app, 'check.js'),
      `const c = require('@scimbridge/contracts');
const envelope = c.buildEnvelope(c.exampleInput(c.EXAMPLES.UserProvisioned));
const parsed = c.parseEnvelope(JSON.stringify(envelope));
const broken = c.parseEnvelope('{"specversion":"1.0"}');
const schema = require('@scimbridge/contracts/schemas/events/UserProvisioned.v1.json');
console.log(JSON.stringify({ ok: parsed.ok, type: parsed.ok && parsed.event.type, broken: broken.ok, topics: c.Topics, schemaId: schema.$id }));
`,
    );
    const env = { ...process.env };
    delete env['NODE_PATH'];
    delete env['NODE_OPTIONS'];
    const output = JSON.parse(execFileSync(process.execPath, ['check.js'], { cwd: app, env, encoding: 'utf8' })) as Record<string, unknown>;
    expect(output).toEqual({
      ok: true,
      type: 'UserProvisioned',
      broken: false,
      topics: { directoryEvents: 'scim.directory.events', roleMappingEvents: 'scim.role-mapping.events', roleEvents: 'scim.role.events' },
      schemaId: 'urn:scimbridge:events:UserProvisioned:v1',
    });

    // The declarations alone are enough for a strict TypeScript consumer (no @types/node, no repo paths).
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { parseEnvelope, Topics, type TopicName } from '@scimbridge/contracts';
export const topics: TopicName[] = [Topics.directoryEvents, Topics.roleEvents];
export function userNameOf(raw: string): string | null {
  const result = parseEnvelope(raw);
  if (!result.ok) return null;
  switch (result.event.type) {
    case 'UserProvisioned':
    case 'UserUpdated':
      return result.event.data.userName;
    case 'RoleAssigned':
      return result.event.data.role;
    default:
      return null;
  }
}
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: [], skipLibCheck: false }, files: ['consumer.ts'] }),
    );
    execFileSync(process.execPath, [join(workspaceRoot, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app, encoding: 'utf8' });
  });

  it('runs the consumer program of docs/events.md as printed: a role before its user, a revocation, a redelivery applied once', async () => {
    for (const name of ['kafkajs', 'pg', '@types/pg', '@types/node']) linkFromRepo(name);
    const doc = readFileSync(join(workspaceRoot, 'docs/events.md'), 'utf8');
    const program = /```ts\n([\s\S]*?)```/.exec(doc.slice(doc.indexOf('## Consuming')))?.[1] ?? '';
    expect(program).toContain("groupId: 'my-app'");
    const groupId = `docs-example-${randomUUID()}`;
    writeFileSync(join(app, 'consumer.mts'), program.replace("groupId: 'my-app'", `groupId: '${groupId}'`));
    writeFileSync(
      join(app, 'tsconfig.docs.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'] }, files: ['consumer.mts'] }),
    );
    execFileSync(process.execPath, [join(workspaceRoot, 'node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.docs.json')], { cwd: app, encoding: 'utf8' });

    // The tables the page describes, in a schema of their own.
    const schema = `docs_example_${randomUUID().slice(0, 8)}`;
    const db = new Client({ connectionString: requiredEnv('DATABASE_URL') });
    await db.connect();
    const brokers = requiredEnv('KAFKA_BROKERS').split(',');
    const kafka = new Kafka({ clientId: 'docs-example-test', brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    let output = '';
    // One process (tsx as a loader, not its CLI, which forks) that exits once this one is gone, even
    // killed: it is then re-parented, and exit-with-parent.cjs notices.
    writeFileSync(join(app, 'exit-with-parent.cjs'), 'const parent = process.ppid;\nsetInterval(() => process.ppid !== parent && process.exit(0), 500).unref();\n');
    const loader = pathToFileURL(join(workspaceRoot, 'node_modules/tsx/dist/esm/index.mjs')).href;
    const child = spawn(process.execPath, ['--require', './exit-with-parent.cjs', '--import', loader, 'consumer.mts'], {
      cwd: app,
      env: {
        PATH: process.env['PATH'] ?? '',
        DATABASE_URL: `${requiredEnv('DATABASE_URL')}${requiredEnv('DATABASE_URL').includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
        KAFKA_BROKERS: brokers.join(','),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await db.query(`CREATE SCHEMA ${schema}`);
      await db.query(`CREATE TABLE ${schema}.applied_events (id uuid PRIMARY KEY)`);
      await db.query(
        `CREATE TABLE ${schema}.users (directory_id text, user_id text, user_name text, active boolean NOT NULL DEFAULT false, roles text[] NOT NULL DEFAULT '{}', PRIMARY KEY (directory_id, user_id))`,
      );
      const directoryId = randomUUID();
      // One organization for the directory, as in real traffic (the topics are shared with every other
      // suite; portal-query's rebuild test replays them and expects one organization per directory).
      const organizationId = randomUUID();
      const userId = randomUUID();
      const versions = new Map<string, number>();
      const envelope = (streamId: string, event: ContractEvent): EventEnvelope => {
        const version = (versions.get(streamId) ?? 0) + 1;
        versions.set(streamId, version);
        const metadata = { directoryId, organizationId, occurredAt: new Date().toISOString() };
        return buildEnvelope({ id: randomUUID(), ...event, metadata, source: sourceFor('test'), streamId, streamVersion: version });
      };
      const grants = streamIds.roleGrant(directoryId, userId);
      const assignedAdmin = envelope(grants, { type: 'RoleAssigned', schemaVersion: 1, data: { userId, role: 'admin', viaGroupIds: [] } });
      const userName = 'doc@example.com';
      const provisioned = envelope(streamIds.user(directoryId, userId), {
        type: 'UserProvisioned',
        schemaVersion: 1,
        data: { userId, externalId: null, userName, active: true, displayName: null, givenName: null, familyName: null, primaryEmail: userName, emails: [], resource: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: userId, userName } },
      });
      const assignedEditor = envelope(grants, { type: 'RoleAssigned', schemaVersion: 1, data: { userId, role: 'editor', viaGroupIds: [] } });
      const revokedAdmin = envelope(grants, { type: 'RoleRevoked', schemaVersion: 1, data: { userId, role: 'admin', viaGroupIds: [] } });

      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [Topics.directoryEvents, Topics.roleEvents].map((topic) => ({ topic, numPartitions: 3 })) });
      await admin.disconnect();
      await producer.connect();
      const send = (topic: string, ...envelopes: EventEnvelope[]) =>
        producer.send({ topic, messages: envelopes.map((e) => ({ key: e.directoryid, value: JSON.stringify(e) })) });
      // The role events first: no order between topics. Then a redelivery of the first RoleAssigned.
      await send(Topics.roleEvents, assignedAdmin, assignedEditor, revokedAdmin);
      await send(Topics.directoryEvents, provisioned);
      await send(Topics.roleEvents, assignedAdmin);

      const deadline = Date.now() + 90_000;
      let state: unknown;
      for (;;) {
        const users = await db.query(`SELECT user_name, active, roles FROM ${schema}.users WHERE directory_id = $1`, [directoryId]);
        // The topics hold every other test's events too: count ours.
        const ours = [assignedAdmin, provisioned, assignedEditor, revokedAdmin].map((e) => e.id);
        const applied = await db.query(`SELECT count(*)::int AS n FROM ${schema}.applied_events WHERE id = ANY($1::uuid[])`, [ours]);
        state = { users: users.rows, applied: applied.rows[0]?.n };
        if (JSON.stringify(state) === JSON.stringify({ users: [{ user_name: userName, active: true, roles: ['editor'] }], applied: 4 })) break;
        if (Date.now() > deadline) throw new Error(`docs example did not converge: ${JSON.stringify(state)}\n${output}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      // Give a wrongly applied redelivery time to show, then check again.
      await new Promise((r) => setTimeout(r, 1_000));
      const again = await db.query(`SELECT roles FROM ${schema}.users WHERE directory_id = $1`, [directoryId]);
      expect(again.rows).toEqual([{ roles: ['editor'] }]);
    } finally {
      child.kill('SIGTERM');
      await producer.disconnect();
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.end();
    }
  }, 150_000);
});
