import { guardProcesses, http, managementCall, randomFreePort, terminate, waitUntilReady, type ScimClient } from '@scimbridge/testing';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { UserView } from '../users/users.controller';

const workspaceRoot = resolve(__dirname, '../../../..');

export interface DownstreamAppProcess {
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/** The example app as its own process (`node -r @swc-node/register …/main.ts`), as a developer runs it. */
export async function startDownstreamApp(env: Record<string, string>, options: { port?: number } = {}): Promise<DownstreamAppProcess> {
  // A fixed port lets a webhook endpoint registered before the app starts (or after it restarts) reach it.
  const port = options.port ?? (await randomFreePort());
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'examples/downstream-app/src/main.ts'], {
    cwd: workspaceRoot,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (child.pid) guardProcesses([{ pid: child.pid, signal: 'SIGTERM' }]);
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const stop = async (): Promise<void> => {
    if (!exited && child.pid) await terminate(child.pid, 'SIGTERM', 20_000);
    await exit;
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitUntilReady(url, 60_000),
      exit.then(() => {
        throw new Error('downstream-app exited before it was ready');
      }),
    ]);
  } catch (error) {
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- downstream-app output ---\n${output}`);
  }
  return { url, output: () => output, stop };
}

/** What the app should hold for a user, and what it holds: the fields compared. */
export interface UserSnapshot {
  readonly userId: string;
  readonly userName: string | null;
  readonly email: string | null;
  readonly active: boolean;
  readonly deprovisioned: boolean;
  readonly roles: readonly string[];
}

interface ScimUser {
  id: string;
  userName: string;
  active: boolean;
  emails?: { value: string; primary?: boolean }[];
}

/**
 * The truth, from scimbridge itself: the directory's users from the ingress's SCIM `GET /Users`, each
 * with its roles from role-assignment's `GET …/users/{userId}/roles`. `deletedIds` are checked to be gone
 * (404) from the directory.
 */
export async function expectedUsers(scim: ScimClient, rolesUrl: string, directoryId: string, deletedIds: readonly string[]): Promise<UserSnapshot[]> {
  const list = await scim<{ Resources: ScimUser[]; totalResults: number }>('GET', '/Users?startIndex=1&count=1000');
  if (list.status !== 200) throw new Error(`SCIM GET /Users: ${list.status} ${list.text}`);
  const live = await Promise.all(
    list.body.Resources.map(async (u): Promise<UserSnapshot> => {
      const roles = await managementCall<{ roles: { role: string }[] }>(rolesUrl, 'GET', `/directories/${directoryId}/users/${u.id}/roles`);
      if (roles.status !== 200) throw new Error(`GET roles of ${u.id}: ${roles.status} ${roles.text}`);
      const email = (u.emails ?? []).find((e) => e.primary)?.value ?? u.emails?.[0]?.value ?? null;
      return { userId: u.id, userName: u.userName, email, active: u.active, deprovisioned: false, roles: roles.body.roles.map((r) => r.role).sort() };
    }),
  );
  for (const id of deletedIds) {
    // Deleted in the directory: the ingress answers 404, and role-assignment holds no role for it.
    const read = await scim('GET', `/Users/${id}`);
    if (read.status !== 404) throw new Error(`user ${id} is missing from the list but GET answers ${read.status}`);
  }
  return sortById(live);
}

/** The app's table for the directory, in the same shape. */
export async function appUsers(appUrl: string, directoryId: string): Promise<UserSnapshot[]> {
  const answer = await http<{ users: UserView[] }>('GET', `${appUrl}/users?directoryId=${directoryId}`, { headers: { accept: 'application/json' } });
  if (answer.status !== 200) throw new Error(`GET /users: ${answer.status} ${answer.text}`);
  return sortById(
    answer.body.users.map((u) => ({ userId: u.userId, userName: u.userName, email: u.email, active: u.active, deprovisioned: u.deprovisioned, roles: [...u.roles].sort() })),
  );
}

/** The full rows, for "nothing changed" comparisons. */
export async function appRows(appUrl: string, directoryId: string): Promise<UserView[]> {
  const answer = await http<{ users: UserView[] }>('GET', `${appUrl}/users?directoryId=${directoryId}`, { headers: { accept: 'application/json' } });
  return answer.body.users;
}

function sortById(users: UserSnapshot[]): UserSnapshot[] {
  return [...users].sort((a, b) => a.userId.localeCompare(b.userId));
}

/**
 * Waits until scimbridge has settled into the state `settled` accepts (role-assignment works
 * asynchronously too, and two tables can agree on a state both have yet to leave), and the app's live
 * users equal scimbridge's, every deleted user deprovisioned without roles. Returns the truth.
 */
export async function waitForEqualTables(
  appUrl: string,
  scim: ScimClient,
  rolesUrl: string,
  directoryId: string,
  deletedIds: readonly string[],
  settled: (truth: Record<string, UserSnapshot>) => void,
  // The app's first start reads the topics' whole history (every test's events so far in a full run).
  timeoutMs = 90_000,
): Promise<Record<string, UserSnapshot>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const expected = await expectedUsers(scim, rolesUrl, directoryId, deletedIds);
    const truth = Object.fromEntries(expected.map((u) => [u.userName ?? u.userId, u]));
    const actual = await appUsers(appUrl, directoryId);
    const live = actual.filter((u) => !u.deprovisioned);
    const deleted = actual.filter((u) => u.deprovisioned);
    const deletedOk = deletedIds.every((id) => deleted.some((u) => u.userId === id && u.roles.length === 0 && !u.active));
    let truthSettled = true;
    try {
      settled(truth);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      truthSettled = false;
    }
    if (truthSettled && JSON.stringify(live) === JSON.stringify(expected) && deletedOk && deleted.length === deletedIds.length) return truth;
    if (Date.now() > deadline) {
      // Fails with a readable diff.
      expect({ live, deleted: deleted.map((u) => u.userId).sort() }).toEqual({ live: expected, deleted: [...deletedIds].sort() });
      return truth;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
