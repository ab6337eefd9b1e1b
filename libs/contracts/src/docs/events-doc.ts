import { EVENT_CATALOG, eventTypesOn, type EventType } from '../event-catalog';
import { buildEnvelope } from '../event-envelope';
import { EXAMPLES, exampleInput } from '../examples';
import { ENVELOPE_SCHEMA, EVENT_METADATA_SCHEMA } from '../schemas/event-envelope.schema';
import { schemaIdFor, type JsonSchema } from '../schemas/json-schema';
import type { StreamKind } from '../stream-ids';
import { ALL_TOPICS, Topics, type TopicName } from '../topics';

/*
 * Renders docs/events.md from the catalog, the schemas' descriptions and the examples, so the page can
 * only show what the code produces. Not exported from the package: only the doc script and its test use it.
 */

export const EVENTS_DOC_PATH = 'docs/events.md';
export const GENERATE_COMMAND = 'npx tsx libs/contracts/scripts/generate-events-doc.ts';

const SUBJECTS: Record<StreamKind, string> = {
  user: 'directory_user:<directoryId>:<userId>',
  group: 'directory_group:<directoryId>:<groupId>',
  directory: 'directory:<directoryId>',
  roleMapping: 'role_mapping:<directoryId>',
  roleGrant: 'role_grant:<directoryId>:<userId>',
  resync: 'directory_resync:<directoryId>:<resyncId>',
};

const TOPIC_INFO: Record<TopicName, { producer: string; about: string }> = {
  [Topics.directoryEvents]: {
    producer: 'scim-ingress',
    about: 'What the IdP did to users and groups, the directory’s own lifecycle (creation, tokens, enable/disable, deletion), and full-state resyncs.',
  },
  [Topics.roleMappingEvents]: { producer: 'role-assignment', about: 'Changes to a directory’s group-to-role mappings.' },
  [Topics.roleEvents]: { producer: 'role-assignment', about: 'Effective roles: a user gained or lost a role.' },
};

export function renderEventsDoc(): string {
  const parts = [
    header(),
    topicsSection(),
    consumingSection(),
    orderingSection(),
    envelopeSection(),
    versioningSection(),
    ...ALL_TOPICS.map(topicReference),
    metadataSection(),
  ];
  return `${parts.join('\n\n').trimEnd()}\n`;
}

function header(): string {
  return `<!-- Generated from libs/contracts/src by \`${GENERATE_COMMAND}\`. Do not edit by hand: a unit test fails when this file and the code differ. -->

# Events

scimbridge tells your app's backend what happens in its customers' directories through three Kafka
topics. This page is that contract: the topics, the message envelope, every event type with its data and
an example message, and the JSON Schema (draft 2020-12) of each. TypeScript apps get all of it, with
validation and upcasting, from the package \`@scimbridge/contracts\`.`;
}

function topicsSection(): string {
  const rows = ALL_TOPICS.map((topic) => {
    const types = eventTypesOn(topic).map((t) => `[${t}](#${t.toLowerCase()})`).join(', ');
    return `| \`${topic}\` | ${TOPIC_INFO[topic].producer} | ${TOPIC_INFO[topic].about} | ${types} |`;
  });
  return `## Topics

| topic | produced by | what | event types |
|---|---|---|---|
${rows.join('\n')}

Role definitions (\`PUT /api/v1/organizations/{orgId}/roles\`) are not published: your app defines them
itself, and they belong to an organization rather than a directory, while every message here is keyed and
ordered per directory. What they change for users arrives as RoleAssigned / RoleRevoked.`;
}

function consumingSection(): string {
  return `## Consuming

A complete consumer (\`consumer.mts\`; \`npm install @scimbridge/contracts kafkajs pg\`) that keeps a users
table with roles. Tables: \`applied_events (id uuid PRIMARY KEY)\` and \`users (directory_id text, user_id
text, user_name text, active boolean NOT NULL DEFAULT false, roles text[] NOT NULL DEFAULT '{}', PRIMARY KEY
(directory_id, user_id))\`.

\`\`\`ts
import { parseEnvelope, Topics } from '@scimbridge/contracts';
import { Kafka } from 'kafkajs';
import pg from 'pg';

const db = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const consumer = new Kafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',') }).consumer({ groupId: 'my-app' });
await consumer.connect();
await consumer.subscribe({ topics: [Topics.directoryEvents, Topics.roleEvents], fromBeginning: true });
await consumer.run({
  eachMessage: async ({ message }) => {
    const result = parseEnvelope(message.value); // never throws
    if (!result.ok) return console.warn(\`skipped: \${result.error}\`); // broken, or newer than this package: keep it aside, go on
    const { envelope, event } = result;
    const tx = await db.connect();
    try {
      await tx.query('BEGIN'); // at-least-once delivery: record the id and apply in ONE transaction
      const fresh = await tx.query('INSERT INTO applied_events (id) VALUES ($1) ON CONFLICT DO NOTHING', [envelope.id]);
      const dir = envelope.directoryid;
      if (fresh.rowCount === 1) switch (event.type) { // event.data is typed per event type
        case 'UserProvisioned':
        case 'UserUpdated':
          await tx.query(\`INSERT INTO users (directory_id, user_id, user_name, active) VALUES ($1, $2, $3, $4)
            ON CONFLICT (directory_id, user_id) DO UPDATE SET user_name = $3, active = $4\`, [dir, event.data.userId, event.data.userName, event.data.active]);
          break;
        case 'RoleAssigned': // no order between topics: it may come before UserProvisioned, so create-or-update
          await tx.query(\`INSERT INTO users (directory_id, user_id, roles) VALUES ($1, $2, ARRAY[$3::text])
            ON CONFLICT (directory_id, user_id) DO UPDATE SET roles = array_append(users.roles, $3)\`, [dir, event.data.userId, event.data.role]);
          break;
        case 'RoleRevoked':
          await tx.query('UPDATE users SET roles = array_remove(roles, $3) WHERE directory_id = $1 AND user_id = $2', [dir, event.data.userId, event.data.role]);
          break;
        // UserDeactivated, UserDeprovisioned, GroupMembershipChanged, …: see examples/downstream-app
      }
      await tx.query('COMMIT');
    } catch (error) {
      await tx.query('ROLLBACK');
      throw error; // kafkajs retries the message: its offset is committed only after it succeeded
    } finally {
      tx.release();
    }
  },
});
\`\`\`

\`parseEnvelope\` checks the envelope, checks \`data\` against the schema named in \`dataschema\`, and hands
you the data upcast to the latest version this package knows. In other languages, validate with the JSON
Schemas on this page (each is self-contained) and switch on \`type\` and \`dataschema\`.
[examples/downstream-app](../examples/downstream-app) is the same program grown into a NestJS service:
every event type, groups, full-state resync, per-subject \`sequence\` instead of one row per event, and
signed webhooks as a second way in.`;
}

function orderingSection(): string {
  return `## Partitioning, ordering and delivery

- **Key = directory id.** Every message's Kafka key is its \`directoryid\`, so all events of one directory
  are on one partition of each topic, in the order they happened. There is no order between directories,
  nor between topics: a RoleAssigned may reach you before the UserProvisioned of the same user, so
  create-or-update by \`userId\` rather than assuming one came first.
- **At least once.** An event is published after it is committed, and published again if the publisher
  crashes before recording its progress; consumer-group rebalances redeliver too. A re-delivered event has
  the same \`id\`: dedupe on it.
- **Per-stream sequence.** \`subject\` names the stream the event belongs to (one user, one group, one
  directory, one directory's role mappings, one user's roles) and \`sequence\` is its 1-based position in
  that stream. Within a subject, sequences arrive in order: one at or below the last you applied is a
  duplicate; one that skips a number means you missed events (e.g. you started reading mid-stream).
- A stream's events are all on one topic; each stream belongs to one directory.`;
}

function envelopeSection(): string {
  const example = buildEnvelope(exampleInput(EXAMPLES.UserProvisioned));
  return `## The envelope

Each message value is a CloudEvents 1.0 event in structured JSON mode (UTF-8). Field names are final.

${fieldTable(ENVELOPE_SCHEMA)}

Attributes not listed here may appear later as CloudEvents extension attributes (lower-case names);
ignore the ones you do not know. A full message (its key is the \`directoryid\`):

${jsonBlock(example)}

<details><summary>Envelope JSON Schema</summary>

${jsonBlock(ENVELOPE_SCHEMA)}

</details>`;
}

function versioningSection(): string {
  return `## Versioning

- An event type's contract never changes in place: no field is renamed, removed, retyped, or added to a
  shipped version. A new shape is a new \`schemaVersion\` (\`dataschema\` \`…:v2\`) with a new schema,
  and the old schema stays published forever, because stored events keep the version they were written in.
- Every new version comes with an upcaster (a pure function from version N to N+1). \`parseEnvelope\`
  validates data against the version it was written in, then upcasts it, so consumers always receive the
  latest shape their \`@scimbridge/contracts\` knows, whatever version is on the wire.
- A message newer than your package knows is refused (\`ok: false\`, "upgrade @scimbridge/contracts"),
  never guessed at. Upgrade consumers before producers start writing a new version.
- New event types may be added to a topic; ignore types you do not handle. Topic names never change.
- Conventions: event types are PascalCase, past tense. Ids (\`userId\`, \`groupId\`) are scimbridge's SCIM
  resource ids, stable for the resource's lifetime; \`externalId\` is the IdP's id. Values an IdP may not
  send are \`null\`, never missing. No event carries a password, a token or a hash; the IdP's raw request
  is never in an event, only the canonical SCIM resource.`;
}

function topicReference(topic: TopicName): string {
  const sections = eventTypesOn(topic).map(eventReference);
  return [`## \`${topic}\``, TOPIC_INFO[topic].about, ...sections].join('\n\n');
}

function eventReference(type: EventType): string {
  const entry = EVENT_CATALOG[type];
  const schema = entry.schemas[entry.latestVersion] as JsonSchema;
  const example = buildEnvelope(exampleInput(EXAMPLES[type]));
  return `### ${type}

${String(schema['description'])}

Topic \`${entry.topic}\` · subject \`${SUBJECTS[entry.stream]}\` · version ${entry.latestVersion} · \`${schemaIdFor(type, entry.latestVersion)}\`

${fieldTable(schema)}

${jsonBlock(example)}

<details><summary>${type} JSON Schema</summary>

${Object.entries(entry.schemas)
  .map(([, s]) => jsonBlock(s))
  .join('\n\n')}

</details>`;
}

function metadataSection(): string {
  return `## Stored event metadata (for scimbridge services)

Inside scimbridge every stored event has this metadata; \`directoryId\`, \`organizationId\` and
\`occurredAt\` become the envelope's \`directoryid\`, \`organizationid\` and \`time\`. The rest stays internal.

${fieldTable(EVENT_METADATA_SCHEMA)}`;
}

interface Row {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly description: string;
}

function fieldTable(schema: JsonSchema): string {
  const rows = rowsOf(schema, '');
  const lines = rows.map((r) => `| \`${r.name}\` | ${cell(r.type)} | ${r.required ? 'yes' : 'no'} | ${cell(r.description)} |`);
  return ['| field | type | required | description |', '|---|---|---|---|', ...lines].join('\n');
}

function rowsOf(schema: JsonSchema, prefix: string): Row[] {
  const properties = asSchemaRecord(schema['properties']);
  const required = Array.isArray(schema['required']) ? (schema['required'] as unknown[]) : [];
  return Object.entries(properties).flatMap(([name, property]) => {
    const row: Row = {
      name: `${prefix}${name}`,
      type: typeName(property),
      required: required.includes(name),
      description: typeof property['description'] === 'string' ? property['description'] : '',
    };
    // Our own nested shapes are listed field by field; open ones (a SCIM resource) stay one row.
    const items = asSchema(property['items']);
    if (items && items['additionalProperties'] === false) return [row, ...rowsOf(items, `${prefix}${name}[].`)];
    if (property['type'] === 'object' && property['additionalProperties'] === false) return [row, ...rowsOf(property, `${prefix}${name}.`)];
    return [row];
  });
}

function typeName(schema: JsonSchema): string {
  if ('const' in schema) return JSON.stringify(schema['const']);
  if (Array.isArray(schema['enum'])) return schema['enum'].map((v) => JSON.stringify(v)).join(' | ');
  const types = Array.isArray(schema['type']) ? (schema['type'] as unknown[]).map(String) : [String(schema['type'] ?? 'any')];
  return types
    .map((t) => {
      if (t === 'array') {
        const items = asSchema(schema['items']);
        return items ? `${typeName(items)}[]` : 'array';
      }
      if (t === 'string' && typeof schema['format'] === 'string') return `string (${schema['format']})`;
      return t;
    })
    .join(' | ');
}

function asSchema(value: unknown): JsonSchema | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonSchema) : undefined;
}

// `false` entries (attributes that must never appear) are not fields to document.
function asSchemaRecord(value: unknown): Record<string, JsonSchema> {
  const record = asSchema(value) ?? {};
  return Object.fromEntries(Object.entries(record).flatMap(([k, v]) => (asSchema(v) ? [[k, v as JsonSchema]] : [])));
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function jsonBlock(value: unknown): string {
  return `\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\``;
}
