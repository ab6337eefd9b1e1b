import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { groupStateFromResource, streamIds } from '@scimbridge/contracts';
import { ConcurrencyError, type EventStoreTransaction, type PostgresEventStore } from '@scimbridge/event-store';
import {
  applyPatchRequest,
  assertIfMatch,
  buildMeta,
  normalisePatch,
  normaliseResource,
  ScimError,
  validateResource,
  withMeta,
  type JsonObject,
  type ScimResource,
} from '@scimbridge/scim';
import { decideGroup, groupStateOf, withoutMembers, type GroupCommand } from '../domain/group.decider';
import { decideUser, userStateOf, INITIAL_USER_STATE, type UserCommand } from '../domain/user.decider';
import { toNewEvents, type Causation, type DecidedEvent } from '../domain/event-wrapping';
import type { ResourceRow, ResourcesRepository, ResourceType } from '../persistence/resources.repository';
import { CreateBatcher } from './create-batcher';
import { GroupUpdateBatcher, notUsersError, tooManyConflicts, type UpdatePlan } from './group-update-batcher';
import { causationOf, type ScimContext, type WriteOutcome } from './scim-context';
import { isRetryableConflict, retryConflicts } from '../persistence/conflicts';

type Recorded = WriteOutcome['events'][number];

/**
 * SCIM writes: validate with libs/scim, decide with the aggregates, then in ONE transaction write the
 * current resource (what GET and filters read) and append the events (what the relay publishes). A
 * request either leaves both or neither. Writers to one resource queue on its row lock; conflicts that
 * still happen (deadlocks between a user delete and a group PATCH) are retried, so concurrent PATCHes
 * from one IdP all apply.
 */
export class ScimWritesService {
  private readonly creates: CreateBatcher;
  private readonly groupUpdates: GroupUpdateBatcher;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly resources: ResourcesRepository,
  ) {
    this.creates = new CreateBatcher(store, resources);
    this.groupUpdates = new GroupUpdateBatcher(store, resources, (update, current, at) =>
      this.planUpdate(update.ctx, 'Group', current, update.ifMatch, update.change, at),
    );
  }

  // ---- Users --------------------------------------------------------------------------------------

  async createUser(ctx: ScimContext, body: unknown): Promise<WriteOutcome> {
    const { resource, unknown } = this.validate(ctx, 'User', body);
    return this.create(ctx, 'User', resource, unknown);
  }

  async replaceUser(ctx: ScimContext, id: string, body: unknown, ifMatch: string | undefined): Promise<WriteOutcome> {
    return this.update(ctx, 'User', id, ifMatch, (current) => {
      const { resource, unknown } = this.validate(ctx, 'User', body, current.resource);
      return { resource, unknown };
    });
  }

  async patchUser(ctx: ScimContext, id: string, body: unknown, ifMatch: string | undefined): Promise<WriteOutcome> {
    return this.update(ctx, 'User', id, ifMatch, (current) => this.patch(ctx, 'User', current, body));
  }

  async deleteUser(ctx: ScimContext, id: string, ifMatch: string | undefined): Promise<WriteOutcome> {
    return this.withRetry(async (tx, causation) => {
      // Queue on the user and on each of its groups BEFORE any row lock or write gives this transaction
      // its id: every earlier writer of those streams then has a smaller id, as the event store's order
      // guard requires. (Locking the user row first and then waiting for busy groups gave the delete an
      // id older than the PATCHes it waited for; its group appends were refused until retries ran out.)
      await this.resources.queue(tx.client, ctx.directoryId, 'User', id);
      const queuedGroups = await this.resources.groupIdsOfUser(tx.client, ctx.directoryId, id);
      for (const groupId of queuedGroups) await this.resources.queue(tx.client, ctx.directoryId, 'Group', groupId);
      const current = await this.resources.lock(tx.client, ctx.directoryId, 'User', id);
      if (!current) throw ScimError.notFound(`User ${id} not found`);
      assertIfMatch(ifMatch, current.revision);
      const groupIds = await this.resources.groupIdsOfUser(tx.client, ctx.directoryId, id);
      const joined = groupIds.find((g) => !queuedGroups.includes(g));
      // Added to another group meanwhile: start again, queueing on that group too.
      if (joined !== undefined) throw new ConcurrencyError(streamIds.group(ctx.directoryId, joined), 'any', -1);
      const recorded: Recorded[] = [];
      // The user leaves every group first, so no group ever lists a user that is gone.
      for (const groupId of groupIds) {
        const group = await this.resources.lock(tx.client, ctx.directoryId, 'Group', groupId);
        if (!group) continue;
        const command: GroupCommand = { kind: 'RemoveMembers', userIds: [id] };
        const events = decideGroup(command, groupStateOf(group.resource));
        if (events.length === 0) continue;
        const next = this.stamp(ctx, 'Group', group, withoutMembers(group.resource, new Set([id])), causation.at);
        await this.resources.update(tx.client, { ...group, resource: next, revision: group.revision + 1, streamVersion: group.streamVersion + events.length, updatedAt: causation.at });
        await this.resources.changeMembers(tx.client, ctx.directoryId, groupId, [], [id]);
        recorded.push(...(await this.append(tx, streamIds.group(ctx.directoryId, groupId), events, group.streamVersion, causation)));
      }
      const events = decideUser({ kind: 'DeprovisionUser' }, userStateOf(current.resource));
      await this.resources.delete(tx.client, ctx.directoryId, 'User', id);
      recorded.push(...(await this.append(tx, streamIds.user(ctx.directoryId, id), events, current.streamVersion, causation)));
      return { resource: null, events: recorded };
    }, ctx);
  }

  // ---- Groups -------------------------------------------------------------------------------------

  async createGroup(ctx: ScimContext, body: unknown): Promise<WriteOutcome> {
    const { resource, unknown } = this.validate(ctx, 'Group', body);
    const hasMembers = Array.isArray(resource['members']) && resource['members'].length > 0;
    if (!hasMembers) return this.create(ctx, 'Group', resource, unknown);
    return this.create(ctx, 'Group', resource, unknown, async (tx, stored) => {
      const memberIds = groupStateFromResource(stored).memberIds;
      await this.assertMembersAreUsers(tx, ctx, memberIds);
      await this.resources.changeMembers(tx.client, ctx.directoryId, String(stored['id']), memberIds, []);
    });
  }

  async replaceGroup(ctx: ScimContext, id: string, body: unknown, ifMatch: string | undefined): Promise<WriteOutcome> {
    return this.update(ctx, 'Group', id, ifMatch, (current) => this.validate(ctx, 'Group', body, current.resource));
  }

  async patchGroup(ctx: ScimContext, id: string, body: unknown, ifMatch: string | undefined): Promise<WriteOutcome> {
    return this.update(ctx, 'Group', id, ifMatch, (current) => this.patch(ctx, 'Group', current, body));
  }

  async deleteGroup(ctx: ScimContext, id: string, ifMatch: string | undefined): Promise<WriteOutcome> {
    return this.withRetry(async (tx, causation) => {
      const current = await this.resources.lock(tx.client, ctx.directoryId, 'Group', id);
      if (!current) throw ScimError.notFound(`Group ${id} not found`);
      assertIfMatch(ifMatch, current.revision);
      const events = decideGroup({ kind: 'DeleteGroup' }, groupStateOf(current.resource));
      await this.resources.delete(tx.client, ctx.directoryId, 'Group', id);
      return { resource: null, events: await this.append(tx, streamIds.group(ctx.directoryId, id), events, current.streamVersion, causation) };
    }, ctx);
  }

  // ---- shared steps -------------------------------------------------------------------------------

  private validate(ctx: ScimContext, type: ResourceType, body: unknown, existing?: ScimResource): { resource: ScimResource; unknown: JsonObject | null } {
    const normalised = normaliseResource(ctx.provider, type, body);
    const result = validateResource(normalised, { resourceType: type, ...(existing ? { existing } : {}) });
    return { resource: result.resource, unknown: keptUnknown(normalised, result.unknownAttributes) };
  }

  private patch(ctx: ScimContext, type: ResourceType, current: ResourceRow, body: unknown): { resource: ScimResource; unknown: JsonObject | null } {
    const result = applyPatchRequest(current.resource, normalisePatch(ctx.provider, type, body), { resourceType: type });
    return { resource: result.resource, unknown: current.unknownAttributes };
  }

  /**
   * A new resource and its first events. Without further work (users; groups without members) it is
   * ONE SQL statement (resource row + events), shared with the creates that arrive meanwhile
   * (CreateBatcher): one round trip instead of a pooled BEGIN/INSERT/INSERT/COMMIT — creates are the
   * bulk of a first sync.
   */
  private async create(
    ctx: ScimContext,
    type: ResourceType,
    resource: ScimResource,
    unknown: JsonObject | null,
    alsoInTransaction?: (tx: EventStoreTransaction, stored: JsonObject) => Promise<void>,
  ): Promise<WriteOutcome> {
    const prepare = (causation: Causation) => {
      const id = randomUUID();
      const stored = withMeta(resource, id, buildMeta({ resourceType: type, id, baseUrl: ctx.baseUrl, created: causation.at, lastModified: causation.at, version: 1 }));
      const events: DecidedEvent[] =
        type === 'User' ? decideUser({ kind: 'ProvisionUser', resource: stored }, INITIAL_USER_STATE) : decideGroup({ kind: 'CreateGroup', resource: stored }, { status: 'absent' });
      const row: ResourceRow = {
        directoryId: ctx.directoryId,
        resourceType: type,
        id,
        resource: stored,
        unknownAttributes: unknown,
        revision: 1,
        streamVersion: events.length,
        createdAt: causation.at,
        updatedAt: causation.at,
      };
      const stream = type === 'User' ? streamIds.user(ctx.directoryId, id) : streamIds.group(ctx.directoryId, id);
      return { stored, events, row, stream };
    };
    if (!alsoInTransaction) {
      const causation = causationOf(ctx);
      const { stored, events, row, stream } = prepare(causation);
      const newEvents = toNewEvents(events, causation);
      // A fresh random id cannot clash with an existing stream, so there is nothing to retry here.
      await this.creates.write({ type, streamId: stream, events: newEvents, row });
      return { resource: stored, events: newEvents.map((e) => ({ id: e.id, type: e.type, streamId: stream })) };
    }
    return this.withRetry(async (tx, causation) => {
      const { stored, events, row, stream } = prepare(causation);
      await this.resources.insert(tx.client, row);
      await alsoInTransaction(tx, stored);
      return { resource: stored, events: await this.append(tx, stream, events, 0, causation) };
    }, ctx);
  }

  private async update(
    ctx: ScimContext,
    type: ResourceType,
    id: string,
    ifMatch: string | undefined,
    change: (current: ResourceRow) => { resource: ScimResource; unknown: JsonObject | null },
  ): Promise<WriteOutcome> {
    // Groups: IdPs PATCH one group many times at once; those go together (GroupUpdateBatcher).
    if (type === 'Group') return this.groupUpdates.write({ ctx, id, ifMatch, change });
    const done = await this.updateUserOptimistically(ctx, id, ifMatch, change);
    if (done) return done;
    return this.withRetry(async (tx, causation) => {
      const current = await this.resources.lock(tx.client, ctx.directoryId, type, id);
      if (!current) throw ScimError.notFound(`${type} ${id} not found`);
      const plan = this.planUpdate(ctx, type, current, ifMatch, change, causation.at);
      if (plan.kind === 'unchanged') {
        if (plan.unknownChanged) await this.resources.update(tx.client, plan.row);
        return { resource: current.resource, events: [] };
      }
      await this.resources.update(tx.client, plan.row);
      if (plan.kind === 'silent') return { resource: plan.row.resource, events: [] };
      return { resource: plan.row.resource, events: await this.append(tx, streamIds.user(ctx.directoryId, id), plan.events, current.streamVersion, causation) };
    }, ctx);
  }

  /**
   * A user update without a transaction: read, decide, then ONE statement that updates the row only if
   * it is still as read and appends the events with it (appendWith). Users are rarely written by two
   * requests at once; when they are (undefined here), the caller falls back to the locked path, which
   * queues writers on the row lock. Groups go through GroupUpdateBatcher: their members table is written
   * too, and IdPs do PATCH one group concurrently.
   */
  private async updateUserOptimistically(
    ctx: ScimContext,
    id: string,
    ifMatch: string | undefined,
    change: (current: ResourceRow) => { resource: ScimResource; unknown: JsonObject | null },
  ): Promise<WriteOutcome | undefined> {
    const current = await this.resources.get(ctx.directoryId, 'User', id);
    if (!current) throw ScimError.notFound(`User ${id} not found`);
    const causation = causationOf(ctx);
    const plan = this.planUpdate(ctx, 'User', current, ifMatch, change, causation.at);
    const readAt = { revision: current.revision, streamVersion: current.streamVersion };
    if (plan.kind === 'unchanged' && !plan.unknownChanged) return { resource: current.resource, events: [] };
    if (plan.kind !== 'events') {
      if (!(await this.resources.updateIfUnchanged(plan.row, readAt))) return undefined;
      return { resource: plan.kind === 'silent' ? plan.row.resource : current.resource, events: [] };
    }
    const stream = streamIds.user(ctx.directoryId, id);
    const events = toNewEvents(plan.events, causation);
    try {
      const result = await this.resources.guardUnique('User', () =>
        this.store.appendWith(stream, events, { expectedVersion: current.streamVersion }, this.resources.updateStatement(plan.row, readAt)),
      );
      if (result.companionRows === 0) return undefined;
    } catch (error) {
      if (isRetryableConflict(error)) return undefined;
      throw error;
    }
    return { resource: plan.row.resource, events: events.map((e) => ({ id: e.id, type: e.type, streamId: stream })) };
  }

  /**
   * What an update of `current` amounts to: `unchanged` (IdPs resend unchanged data: no event, no new
   * version; only the unknown attributes kept beside the resource may have changed), `silent` (the
   * representation changed but not its meaning, e.g. `active` removed, which means active: stored with
   * a new version, nothing to tell apps), or `events`.
   */
  private planUpdate(
    ctx: ScimContext,
    type: ResourceType,
    current: ResourceRow,
    ifMatch: string | undefined,
    change: (current: ResourceRow) => { resource: ScimResource; unknown: JsonObject | null },
    at: Date,
  ): UpdatePlan {
    assertIfMatch(ifMatch, current.revision);
    const { resource, unknown } = change(current);
    const next = this.stamp(ctx, type, current, resource, at);
    const command = { kind: type === 'User' ? 'ReplaceUser' : 'ReplaceGroup', resource: next } as UserCommand & GroupCommand;
    const events: DecidedEvent[] = type === 'User' ? decideUser(command, userStateOf(current.resource)) : decideGroup(command, groupStateOf(current.resource));
    if (events.length === 0) {
      if (isDeepStrictEqual(withoutMeta(next), withoutMeta(current.resource))) {
        return { kind: 'unchanged', unknownChanged: !isDeepStrictEqual(unknown, current.unknownAttributes), row: { ...current, unknownAttributes: unknown } };
      }
      return { kind: 'silent', row: { ...current, resource: next, unknownAttributes: unknown, revision: current.revision + 1, updatedAt: at } };
    }
    return {
      kind: 'events',
      events,
      row: { ...current, resource: next, unknownAttributes: unknown, revision: current.revision + 1, streamVersion: current.streamVersion + events.length, updatedAt: at },
    };
  }

  /** The new canonical resource with id and meta for its next revision. */
  private stamp(ctx: ScimContext, type: ResourceType, current: ResourceRow, resource: JsonObject, at: Date): JsonObject {
    return withMeta(resource, current.id, buildMeta({ resourceType: type, id: current.id, baseUrl: ctx.baseUrl, created: current.createdAt, lastModified: at, version: current.revision + 1 }));
  }

  private async assertMembersAreUsers(tx: EventStoreTransaction, ctx: ScimContext, ids: readonly string[]): Promise<void> {
    const found = await this.resources.existingUsers(tx.client, ctx.directoryId, ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw notUsersError(missing);
  }

  private async append(tx: EventStoreTransaction, streamId: string, events: readonly DecidedEvent[], expectedVersion: number, causation: Causation): Promise<Recorded[]> {
    if (events.length === 0) return [];
    const stored = toNewEvents(events, causation);
    await tx.append(streamId, stored, { expectedVersion });
    return stored.map((e) => ({ id: e.id, type: e.type, streamId }));
  }

  private async withRetry(work: (tx: EventStoreTransaction, causation: Causation) => Promise<WriteOutcome>, ctx: ScimContext): Promise<WriteOutcome> {
    // No savepoints: every conflict is retried as a whole transaction anyway.
    return retryConflicts(() => this.store.withTransaction((tx) => work(tx, causationOf(ctx)), { savepoints: false }), { exhausted: tooManyConflicts });
  }
}

/** The values of attributes no schema declares (custom IdP template fields), kept beside the resource. */
function keptUnknown(body: unknown, names: readonly string[]): JsonObject | null {
  if (names.length === 0 || typeof body !== 'object' || body === null) return null;
  const source = body as Record<string, unknown>;
  const kept: JsonObject = {};
  for (const name of names) {
    if (!name.includes('.') && source[name] !== undefined) kept[name] = source[name] as JsonObject[string];
  }
  return Object.keys(kept).length > 0 ? kept : null;
}

function withoutMeta(resource: JsonObject): JsonObject {
  const { meta: _meta, ...rest } = resource;
  return rest;
}
