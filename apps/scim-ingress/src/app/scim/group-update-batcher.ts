import { DatabaseError } from 'pg';
import type { NewEvent, PostgresEventStore } from '@scimbridge/event-store';
import { ScimError, type JsonObject, type ScimResource } from '@scimbridge/scim';
import { streamIds } from '@scimbridge/contracts';
import { toNewEvents, type DecidedEvent } from '../domain/event-wrapping';
import { uniqueKeyOf, type Membership, type ResourceRow, type ResourcesRepository } from '../persistence/resources.repository';
import { BatchDispatcher, type BatchLimits } from './batch-dispatcher';
import { causationOf, type ScimContext, type WriteOutcome } from './scim-context';
import { retryConflicts } from '../persistence/conflicts';

/** A PUT or PATCH of one group: `change` computes the new resource from the current row. */
export interface GroupUpdate {
  readonly ctx: ScimContext;
  readonly id: string;
  readonly ifMatch: string | undefined;
  readonly change: (current: ResourceRow) => { resource: ScimResource; unknown: JsonObject | null };
}

/**
 * What an update of `current` amounts to: `unchanged` (IdPs resend unchanged data: no event, no new
 * version; only the unknown attributes kept beside the resource may have changed), `silent` (the
 * representation changed but not its meaning: stored with a new version, nothing to tell apps), or
 * `events`.
 */
export type UpdatePlan =
  | { readonly kind: 'unchanged'; readonly unknownChanged: boolean; readonly row: ResourceRow }
  | { readonly kind: 'silent'; readonly row: ResourceRow }
  | { readonly kind: 'events'; readonly row: ResourceRow; readonly events: DecidedEvent[] };

/** Decides an update (If-Match, PATCH/PUT, the aggregate); throws ScimError for a request it refuses. */
export type PlanGroupUpdate = (update: GroupUpdate, current: ResourceRow, at: Date) => UpdatePlan;

interface Queued {
  readonly update: GroupUpdate;
  readonly resolve: (outcome: WriteOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/** One batch's decisions: what each update answers, and what the transaction writes for them. */
interface BatchPlan {
  readonly answers: Map<Queued, { ok: true; outcome: WriteOutcome } | { ok: false; error: unknown }>;
  readonly rows: ResourceRow[];
  readonly added: Membership[];
  readonly removed: Membership[];
  readonly appends: { streamId: string; event: NewEvent }[];
  /** Per update, the members it adds (a refusal when one of them is not a user). */
  readonly addedBy: Map<Queued, Membership[]>;
}

/**
 * 16 concurrent single-member PATCHes over 20 groups (bench/group-patch.bench.ts): one batch at a time
 * carried ~8 updates (docs/benchmarks.md has the figures for other settings).
 */
const DEFAULT_LIMITS: BatchLimits = { maxBatch: 64, maxInFlight: 1, stallMs: 500 };

const keyOf = (directoryId: string, id: string): string => `${directoryId}/${id}`;

/**
 * Group commit for group updates (PUT and PATCH; issue 16). OneLogin's "Set Groups" rule, Okta group push
 * and Entra send one PATCH per membership change, many at once, often to the same group. Written one by
 * one each PATCH cost a transaction of five round trips, a WAL flush and a rewrite of the group's row
 * (~100 KB of JSON for 1,000 members). Here the updates that arrive while a batch runs (any groups, any
 * directories) are written together in ONE transaction:
 *
 *   1. queue on every group of the batch and lock their rows (ResourcesRepository.lockAcross);
 *   2. decide every update in arrival order, each against the state the previous ones left (If-Match,
 *      versions and responses are exactly as if they had run one after another);
 *   3. ONE statement checks that every member any update adds is a user of its directory, writes each group's row
 *      once and the net membership change (writeGroups); an update that adds a non-user is refused (400)
 *      and the batch decided again without it;
 *   4. ONE statement appends every update's events, each on its group's stream in order; COMMIT.
 *
 * Every update is answered only after that commit, and a request leaves its row, members and events or
 * none of them. Conflicts (deadlock with a user delete, stream order) retry the whole batch. A batch
 * PostgreSQL refuses as a whole (e.g. a rename to a displayName another group has) changed nothing; its
 * updates are then written one per transaction, so each gets its own answer (409 for the rename). A
 * failure without a server verdict (connection lost, possibly after the commit) is reported to every
 * update of the batch, as it would have been to a single one.
 */
export class GroupUpdateBatcher extends BatchDispatcher<Queued> {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly resources: ResourcesRepository,
    private readonly plan: PlanGroupUpdate,
    limits: BatchLimits = DEFAULT_LIMITS,
  ) {
    super(limits);
  }

  /** Resolves with the group after this update once it is committed; rejects as a single write would. */
  write(update: GroupUpdate): Promise<WriteOutcome> {
    return new Promise<WriteOutcome>((resolve, reject) => this.enqueue({ update, resolve, reject }));
  }

  protected async commit(batch: readonly Queued[], release: () => void): Promise<void> {
    let answers: BatchPlan['answers'];
    try {
      answers = await retryConflicts(() => this.attempt(batch), { exhausted: tooManyConflicts });
    } catch (error) {
      if (batch.length > 1 && error instanceof DatabaseError) {
        // Refused as a whole, nothing written: one transaction per update, in order (holding the slot).
        for (const queued of batch) await this.commit([queued], () => undefined);
        return;
      }
      release();
      for (const queued of batch) queued.reject(error);
      return;
    }
    release();
    for (const queued of batch) {
      const answer = answers.get(queued);
      if (answer?.ok) queued.resolve(answer.outcome);
      else queued.reject(answer ? answer.error : new Error('update was not decided'));
    }
  }

  private async attempt(batch: readonly Queued[]): Promise<BatchPlan['answers']> {
    const at = new Date();
    const plan = await this.store.withTransaction(
      async (tx) => {
        const locked = await this.resources.lockAcross(
          tx.client,
          'Group',
          batch.map(({ update }) => ({ directoryId: update.ctx.directoryId, id: update.id })),
        );
        const originals = new Map(locked.map((row) => [keyOf(row.directoryId, row.id), row]));
        const notUsers = new Map<Queued, ScimError>();
        for (;;) {
          const decided = this.decide(batch, originals, notUsers, at);
          const mustBeUsers = [...decided.addedBy.values()].flat();
          const write = () => this.resources.writeGroups(tx.client, decided.rows, decided.added, decided.removed, mustBeUsers);
          // A batch of one maps a displayName clash to SCIM 409; a bigger one is split up (see commit).
          const missing = decided.rows.length === 0 ? [] : batch.length === 1 ? await this.resources.guardUnique('Group', write) : await write();
          if (missing.length === 0) {
            if (decided.appends.length > 0) {
              const { appended } = await this.store.appendToStreamsIn(tx.client, decided.appends);
              if (appended !== decided.appends.length) throw new Error(`appended ${appended} of ${decided.appends.length} new group events`);
            }
            return decided;
          }
          // Refuse the updates that add a non-user, then decide the batch again without them.
          const absent = new Set(missing.map((m) => keyOf(m.directoryId, m.userId)));
          for (const [queued, adds] of decided.addedBy) {
            const ids = adds.filter((m) => absent.has(keyOf(m.directoryId, m.userId))).map((m) => m.userId);
            if (ids.length > 0) notUsers.set(queued, notUsersError(ids));
          }
        }
      },
      { savepoints: false },
    );
    if (plan.appends.length > 0) this.store.notifyAppended();
    return plan.answers;
  }

  /** Decides the batch's updates in order, each on the state the previous ones left. Pure. */
  private decide(batch: readonly Queued[], originals: ReadonlyMap<string, ResourceRow>, notUsers: ReadonlyMap<Queued, ScimError>, at: Date): BatchPlan {
    const state = new Map(originals);
    const changed = new Set<string>();
    // Net membership change per group: what the members table must get.
    const net = new Map<string, { added: Set<string>; removed: Set<string> }>();
    const plan: BatchPlan = { answers: new Map(), rows: [], added: [], removed: [], appends: [], addedBy: new Map() };
    for (const queued of batch) {
      const { ctx, id } = queued.update;
      const key = keyOf(ctx.directoryId, id);
      const refusal = notUsers.get(queued);
      if (refusal) {
        plan.answers.set(queued, { ok: false, error: refusal });
        continue;
      }
      try {
        const current = state.get(key);
        if (!current) throw ScimError.notFound(`Group ${id} not found`);
        const decision = this.plan(queued.update, current, at);
        if (decision.kind === 'unchanged') {
          if (decision.unknownChanged) {
            state.set(key, decision.row);
            changed.add(key);
          }
          plan.answers.set(queued, { ok: true, outcome: { resource: current.resource, events: [] } });
          continue;
        }
        uniqueKeyOf('Group', decision.row.resource); // a displayName-less result is this update's 400, not the batch's
        const streamId = streamIds.group(ctx.directoryId, id);
        const events = decision.kind === 'events' ? toNewEvents(decision.events, causationOf(ctx, at)) : [];
        state.set(key, decision.row);
        changed.add(key);
        const adds: Membership[] = [];
        for (const event of events) {
          plan.appends.push({ streamId, event });
          if (event.type !== 'GroupMembershipChanged') continue;
          const { added, removed } = event.data as { added: string[]; removed: string[] };
          const delta = net.get(key) ?? { added: new Set<string>(), removed: new Set<string>() };
          net.set(key, delta);
          for (const userId of removed) if (!delta.added.delete(userId)) delta.removed.add(userId);
          for (const userId of added) {
            if (!delta.removed.delete(userId)) delta.added.add(userId);
            adds.push({ directoryId: ctx.directoryId, groupId: id, userId });
          }
        }
        if (adds.length > 0) plan.addedBy.set(queued, adds);
        plan.answers.set(queued, { ok: true, outcome: { resource: decision.row.resource, events: events.map((e) => ({ id: e.id, type: e.type, streamId })) } });
      } catch (error) {
        plan.answers.set(queued, { ok: false, error });
      }
    }
    for (const key of changed) {
      const row = state.get(key) as ResourceRow;
      plan.rows.push(row);
      const delta = net.get(key);
      if (!delta) continue;
      for (const userId of delta.added) plan.added.push({ directoryId: row.directoryId, groupId: row.id, userId });
      for (const userId of delta.removed) plan.removed.push({ directoryId: row.directoryId, groupId: row.id, userId });
    }
    return plan;
  }
}

/**
 * Still conflicting after every attempt: a 503 tells the IdP to send the request again later (it would
 * treat a 500 as a failure of ours); nothing was written.
 */
export function tooManyConflicts(): ScimError {
  return new ScimError(503, undefined, 'too many concurrent changes to this resource; retry the request');
}

/** SCIM 400 for members that are not users of the group's directory. */
export function notUsersError(missing: readonly string[]): ScimError {
  const shown = missing.slice(0, 5).map((id) => JSON.stringify(id)).join(', ');
  return ScimError.invalidValue(`members must be users of this directory; not found: ${shown}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
}
