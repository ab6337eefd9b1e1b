import { Topics, type RoleAssigned, type RoleRevoked } from '@scimbridge/contracts';
import {
  createTestDirectory,
  managementCall,
  scimClient,
  startServiceForTest,
  startIngressProcess,
  TEST_MANAGEMENT_KEY,
  TopicProbe,
  uniqueId,
  waitUntilReady,
  type HttpResult,
  type ReceivedEvent,
  type RunningService,
  type ScimClient,
  type ServiceProcess,
  type TestDirectory,
} from '@scimbridge/testing';
import { roleAssignmentEntry } from '../app/app.module';
import type { roleAssignmentConfig } from '../app/role-assignment.config';

/*
 * The system as an IdP and the app's backend see it: the real ingress (its own process, as `npm start`
 * runs it) and role-assignment on the run's PostgreSQL and Kafka; SCIM traffic shaped as OneLogin sends
 * it; role events read from scim.role.events itself.
 */

export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface Stack {
  readonly ingress: ServiceProcess;
  readonly roles: RunningService<roleAssignmentConfig>;
  readonly roleEvents: TopicProbe;
  readonly mappingEvents: TopicProbe;
}

/** One stack per spec file: started before its tests, stopped after them. Call at the top level. */
export function stackForSuite(): { readonly stack: Stack } {
  let stack: Stack | undefined;
  beforeAll(async () => {
    const ingress = await startIngressProcess();
    const roles = await startServiceForTest(roleAssignmentEntry, { MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY, SCIM_INGRESS_URL: ingress.url, KAFKA_TOPIC_PARTITIONS: '3' });
    await waitUntilReady(roles.url);
    const roleEvents = new TopicProbe(Topics.roleEvents);
    const mappingEvents = new TopicProbe(Topics.roleMappingEvents);
    await Promise.all([roleEvents.start(), mappingEvents.start()]);
    stack = { ingress, roles, roleEvents, mappingEvents };
  }, 120_000);
  afterAll(async () => {
    await stack?.roleEvents.stop();
    await stack?.mappingEvents.stop();
    await stack?.roles.close();
    await stack?.ingress.stop();
  }, 60_000);
  return {
    get stack(): Stack {
      if (!stack) throw new Error('the stack is not started yet (use it inside a test)');
      return stack;
    },
  };
}

export type RoleEventSummary = [type: 'RoleAssigned' | 'RoleRevoked', userId: string, role: string, viaGroupIds: string[]];

export function summary(events: readonly ReceivedEvent[]): RoleEventSummary[] {
  return events.map((e) => {
    const event = e.event as RoleAssigned | RoleRevoked;
    return [event.type, event.data.userId, event.data.role, [...event.data.viaGroupIds]];
  });
}

/**
 * A directory with its organization's roles, as the app's backend and an IdP set it up, and helpers to
 * act on it. Role events are checked with `expectNext`, which also proves that nothing else came: a
 * barrier event (a sentinel user joining or leaving a sentinel group, mapped to role `sentinel`) is
 * caused after the action, and since one directory's events are applied and published in order, every
 * role event of the action arrives before the barrier's.
 */
export class DirectoryUnderTest {
  private seen = 0;
  private sentinelIn = false;
  private sentinelUserId = '';
  private sentinelGroupId = '';

  private constructor(
    readonly stack: Stack,
    readonly directory: TestDirectory,
    readonly scim: ScimClient,
  ) {}

  static async create(stack: Stack, roles: readonly string[] = ['admin', 'editor', 'viewer']): Promise<DirectoryUnderTest> {
    const directory = await createTestDirectory(stack.ingress.url, 'onelogin');
    const d = new DirectoryUnderTest(stack, directory, scimClient(directory));
    const catalog = await d.call('PUT', `/organizations/${directory.organizationId}/roles`, {
      roles: [...roles, 'sentinel'].map((key) => ({ key, displayName: key[0]?.toUpperCase() + key.slice(1) })),
    });
    if (catalog.status !== 200) throw new Error(`PUT roles: ${catalog.status} ${catalog.text}`);
    d.sentinelUserId = await d.user(`sentinel-${uniqueId('u')}@example.com`);
    d.sentinelGroupId = await d.group('Sentinel');
    await d.mappings([]);
    // The first barrier: once the sentinel holds its role, the sentinel mapping is applied.
    await d.join(d.sentinelGroupId, d.sentinelUserId);
    d.sentinelIn = true;
    const first = await stack.roleEvents.waitFor(directory.directoryId, 1);
    expect(summary(first)).toEqual([['RoleAssigned', d.sentinelUserId, 'sentinel', [d.sentinelGroupId]]]);
    d.seen = 1;
    return d;
  }

  get directoryId(): string {
    return this.directory.directoryId;
  }

  /** A management API call on role-assignment. */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
    return managementCall<T>(this.stack.roles.url, method, path, body);
  }

  async user(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
    const created = await this.scim('POST', '/Users', {
      schemas: [USER_URN],
      userName,
      name: { givenName: 'Jane', familyName: 'Doe' },
      emails: { value: userName, type: 'work', primary: true },
      active: 'true',
      ...extra,
    });
    if (created.status !== 201) throw new Error(`POST /Users: ${created.status} ${created.text}`);
    return String(created.body['id']);
  }

  /** A group, once role-assignment knows it (mappings may name only groups it has seen). */
  async group(displayName: string): Promise<string> {
    const created = await this.scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName });
    if (created.status !== 201) throw new Error(`POST /Groups: ${created.status} ${created.text}`);
    const groupId = String(created.body['id']);
    await this.waitUntilMappable(groupId);
    return groupId;
  }

  /** A preview naming the group is refused (400) until GroupCreated has reached role-assignment. */
  async waitUntilMappable(groupId: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answer = await this.call('POST', `/directories/${this.directoryId}/role-mappings/preview`, { mappings: [{ groupId, roles: [] }] });
      if (answer.status === 200) return;
      if (Date.now() > deadline) throw new Error(`role-assignment never saw group ${groupId}: ${answer.status} ${answer.text}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** OneLogin's membership add: `path: members` with a value array. */
  async join(groupId: string, ...userIds: string[]): Promise<void> {
    await this.patch(groupId, { op: 'add', path: 'members', value: userIds.map((value) => ({ value })) });
  }

  /** OneLogin's membership removal: `members[value eq "id"]`. */
  async leave(groupId: string, userId: string): Promise<void> {
    await this.patch(groupId, { op: 'remove', path: `members[value eq "${userId}"]` });
  }

  async patch(groupId: string, ...operations: Record<string, unknown>[]): Promise<void> {
    const patched = await this.scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_URN], Operations: operations });
    if (patched.status !== 200 && patched.status !== 204) throw new Error(`PATCH /Groups/${groupId}: ${patched.status} ${patched.text}`);
  }

  /** OneLogin's Suspend setting: the user sent again with `active: false` (a full PUT, read first). */
  async setActive(userId: string, active: boolean): Promise<void> {
    const read = await this.scim('GET', `/Users/${userId}`);
    const { meta: _meta, groups: _groups, ...user } = read.body;
    const put = await this.scim('PUT', `/Users/${userId}`, { ...user, active: String(active) });
    if (put.status !== 200) throw new Error(`PUT /Users/${userId}: ${put.status} ${put.text}`);
  }

  async mappings(mappings: { groupId: string; roles: string[] }[], extra: Record<string, unknown> = {}): Promise<HttpResult> {
    const put = await this.call('PUT', `/directories/${this.directoryId}/role-mappings`, {
      mappings: [...mappings, { groupId: this.sentinelGroupId, roles: ['sentinel'] }],
      ...extra,
    });
    if (put.status !== 200) throw new Error(`PUT role-mappings: ${put.status} ${put.text}`);
    return put;
  }

  async rolesOf(userId: string): Promise<HttpResult<{ roles: { role: string; source: string; viaGroups: { groupId: string }[] }[] }>> {
    return this.call('GET', `/directories/${this.directoryId}/users/${userId}/roles`);
  }

  /** The user's roles as `role<-groupIds`, e.g. `admin<-g1,g2`, `viewer<-` (default role). */
  async roleSummary(userId: string): Promise<string[]> {
    const answer = await this.rolesOf(userId);
    if (answer.status !== 200) throw new Error(`GET roles: ${answer.status} ${answer.text}`);
    return answer.body.roles.map((r) => `${r.role}<-${r.viaGroups.map((g) => g.groupId).join(',')}`);
  }

  /**
   * The role events of the directory since the last call, excluding the barrier's: exactly these and no
   * others (waits for them, then for the barrier).
   */
  async expectNext(expected: readonly RoleEventSummary[], timeoutMs = 30_000): Promise<void> {
    const got = await this.next(expected.length, timeoutMs);
    expect(got).toEqual(expected);
  }

  /** Like expectNext, for when the order among users is not fixed (several users' changes at once). */
  async expectNextInAnyOrder(expected: readonly RoleEventSummary[], timeoutMs = 30_000): Promise<void> {
    const got = await this.next(expected.length, timeoutMs);
    const key = (s: RoleEventSummary): string => JSON.stringify(s);
    expect(got.map(key).sort()).toEqual(expected.map(key).sort());
  }

  /**
   * Every role event of the directory caused by its directory events so far (after a barrier), whatever
   * they are. Only for directory events: a mapping change travels on another topic, which the barrier
   * does not wait for.
   */
  async settle(timeoutMs = 30_000): Promise<RoleEventSummary[]> {
    return this.next(0, timeoutMs);
  }

  private async next(count: number, timeoutMs: number): Promise<RoleEventSummary[]> {
    await this.stack.roleEvents.waitFor(this.directoryId, this.seen + count, timeoutMs);
    // The barrier: caused after the action, published after everything the action led to.
    const barrierType = this.sentinelIn ? 'RoleRevoked' : 'RoleAssigned';
    if (this.sentinelIn) await this.leave(this.sentinelGroupId, this.sentinelUserId);
    else await this.join(this.sentinelGroupId, this.sentinelUserId);
    this.sentinelIn = !this.sentinelIn;
    const sentinel = (e: ReceivedEvent): boolean => (e.event as RoleAssigned).data.userId === this.sentinelUserId;
    const isBarrier = (e: ReceivedEvent): boolean => sentinel(e) && e.event.type === barrierType && (e.event as RoleAssigned).data.role === 'sentinel';
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const fresh = this.stack.roleEvents.received(this.directoryId).slice(this.seen);
      const barrierAt = fresh.findIndex(isBarrier);
      if (barrierAt >= 0) {
        // Events after the barrier belong to nothing this helper caused: the next call sees them.
        this.seen += barrierAt + 1;
        return summary(fresh.slice(0, barrierAt).filter((e) => !sentinel(e)));
      }
      if (Date.now() > deadline) throw new Error(`no barrier event (${barrierType} sentinel) after: ${JSON.stringify(summary(fresh))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Role events seen for the directory so far (barrier included). */
  all(): ReceivedEvent[] {
    return this.stack.roleEvents.received(this.directoryId);
  }
}
