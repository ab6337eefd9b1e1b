import {
  createTestDirectory,
  managementCall,
  scimClient,
  startServiceForTest,
  startIngressProcess,
  TEST_MANAGEMENT_KEY,
  waitUntilReady,
  type HttpResult,
  type RunningService,
  type ScimClient,
  type ServiceProcess,
  type TestDirectory,
} from '@scimbridge/testing';
import { portalQueryEntry } from '../app/app.module';
import type { portalQueryConfig } from '../app/portal-query.config';

/*
 * The system as the portal and an IdP see it: the real ingress (its own process, as `npm start` runs
 * it) and portal-query (this process, its real root module) on the run's PostgreSQL and Kafka; SCIM
 * traffic shaped as OneLogin sends it; the portal's questions through the HTTP API.
 */

export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface Stack {
  readonly ingress: ServiceProcess;
  readonly portal: RunningService<portalQueryConfig>;
}

/** One stack per spec file: started before its tests, stopped after them. Call at the top level. */
export function stackForSuite(portalEnv: Record<string, string> = {}): { readonly stack: Stack } {
  let stack: Stack | undefined;
  beforeAll(async () => {
    const ingress = await startIngressProcess();
    const portal = await startServiceForTest(portalQueryEntry, {
      MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY,
      SCIM_INGRESS_URL: ingress.url,
      KAFKA_TOPIC_PARTITIONS: '3',
      READ_MODEL_GENERATION_POLL_MS: '200',
      ...portalEnv,
    });
    await waitUntilReady(portal.url);
    stack = { ingress, portal };
  }, 120_000);
  afterAll(async () => {
    await stack?.portal.close();
    await stack?.ingress.stop();
  }, 60_000);
  return {
    get stack(): Stack {
      if (!stack) throw new Error('the stack is not started yet (use it inside a test)');
      return stack;
    },
  };
}

/** Polls `read` until `ok` holds for its answer (the read models are eventually consistent). */
export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last answer: ${JSON.stringify(value).slice(0, 2_000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A directory of its own organization, and the IdP's and the portal's calls on it. */
export class PortalDirectory {
  private constructor(
    readonly stack: Stack,
    readonly directory: TestDirectory,
    readonly scim: ScimClient,
  ) {}

  static async create(stack: Stack): Promise<PortalDirectory> {
    const directory = await createTestDirectory(stack.ingress.url, 'onelogin');
    return new PortalDirectory(stack, directory, scimClient(directory));
  }

  get id(): string {
    return this.directory.directoryId;
  }

  /** A portal-query API call (`/api/v1…`). */
  query<T = Record<string, unknown>>(path: string): Promise<HttpResult<T>> {
    return managementCall<T>(this.stack.portal.url, 'GET', path);
  }

  /** GET on the directory's own API below `/api/v1/directories/{id}`. */
  get<T = Record<string, unknown>>(path: string): Promise<HttpResult<T>> {
    return this.query<T>(`/directories/${this.id}${path}`);
  }

  async user(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
    const created = await this.scim('POST', '/Users', {
      schemas: [USER_URN],
      userName,
      name: { givenName: 'Jane', familyName: 'Doe' },
      emails: [{ value: userName, type: 'work', primary: true }],
      active: true,
      ...extra,
    });
    if (created.status !== 201) throw new Error(`POST /Users: ${created.status} ${created.text}`);
    return String(created.body['id']);
  }

  async group(displayName: string, memberIds: readonly string[] = []): Promise<string> {
    const created = await this.scim('POST', '/Groups', { schemas: [GROUP_URN], displayName, members: memberIds.map((value) => ({ value })) });
    if (created.status !== 201) throw new Error(`POST /Groups: ${created.status} ${created.text}`);
    return String(created.body['id']);
  }

  async join(groupId: string, ...userIds: string[]): Promise<void> {
    await this.patchGroup(groupId, { op: 'add', path: 'members', value: userIds.map((value) => ({ value })) });
  }

  async leave(groupId: string, userId: string): Promise<void> {
    await this.patchGroup(groupId, { op: 'remove', path: `members[value eq "${userId}"]` });
  }

  async patchGroup(groupId: string, ...operations: Record<string, unknown>[]): Promise<void> {
    const patched = await this.scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_URN], Operations: operations });
    if (patched.status !== 200 && patched.status !== 204) throw new Error(`PATCH /Groups/${groupId}: ${patched.status} ${patched.text}`);
  }

  async patchUser(userId: string, ...operations: Record<string, unknown>[]): Promise<void> {
    const patched = await this.scim('PATCH', `/Users/${userId}`, { schemas: [PATCH_URN], Operations: operations });
    if (patched.status !== 200 && patched.status !== 204) throw new Error(`PATCH /Users/${userId}: ${patched.status} ${patched.text}`);
  }
}
