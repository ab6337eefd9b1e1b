import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import {
  createTestDirectory,
  guardProcesses,
  managementCall,
  randomFreePort,
  requiredEnv,
  scimClient,
  startServiceProcess,
  terminate,
  TEST_MANAGEMENT_KEY,
  uniqueId,
  waitFor,
  type ServiceProcess,
} from '@scimbridge/testing';
import { ensurePortalBuild, portalPreviewArgs } from './portal-web-build';

/*
 * The SCIM configuration portal in a real browser, as a customer's IT admin uses it: the production
 * build served by `vite preview` (as `npm start` serves it) in front of the three real services on the
 * run's PostgreSQL and Kafka. The admin opens a portal link, configures OneLogin, and the test plays
 * OneLogin with the URL and token read from the page. Screenshots of each step go to
 * tmp/e2e-artifacts/portal/. Any browser console error fails the scenario.
 */
const root = resolve(__dirname, '../..');
const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const artifacts = join(root, 'tmp', 'e2e-artifacts', 'portal');
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Stack {
  /** The app's own settings page that embeds the portal (same site as the portal: 127.0.0.1). */
  host: Server;
  hostUrl: string;
  ingress: ServiceProcess;
  roles: ServiceProcess;
  query: ServiceProcess;
  webhooks: ServiceProcess;
  portal: ChildProcess;
  portalUrl: string;
}

let stack: Stack | undefined;
let browser: Browser | undefined;

async function startPortalPreview(port: number, frameAncestors: string, backends: Record<string, string>): Promise<ChildProcess> {
  ensurePortalBuild(root);
  const child = spawn(process.execPath, portalPreviewArgs(root), {
    cwd: root,
    env: { ...process.env, PORTAL_WEB_PORT: String(port), PORTAL_FRAME_ANCESTORS: frameAncestors, ...backends },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  if (child.pid) guardProcesses([{ pid: child.pid, signal: 'SIGTERM' }]);
  await waitFor(
    'vite preview to serve the portal',
    async () => {
      if (child.exitCode !== null) throw new Error(`vite preview exited:\n${output}`);
      const response = await fetch(`http://127.0.0.1:${port}/`);
      if (response.status !== 200) throw new Error(`answered ${response.status}`);
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  return child;
}

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: install Debian's chromium package or set CHROMIUM_PATH`);
  mkdirSync(artifacts, { recursive: true });
  const [ingressPort, portalPort, hostPort] = [await randomFreePort(), await randomFreePort(), await randomFreePort()];
  const portalUrl = `http://127.0.0.1:${portalPort}`;
  const hostUrl = `http://127.0.0.1:${hostPort}`;
  const ingress = await startServiceProcess(
    'scim-ingress',
    { MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY, PUBLIC_URL: `http://127.0.0.1:${ingressPort}`, PORTAL_URL: portalUrl, KAFKA_TOPIC_PARTITIONS: '3' },
    { port: ingressPort },
  );
  const common = { MANAGEMENT_API_KEY: TEST_MANAGEMENT_KEY, SCIM_INGRESS_URL: ingress.url, KAFKA_TOPIC_PARTITIONS: '3' };
  const [roles, query, webhooks] = await Promise.all([
    startServiceProcess('role-assignment', common),
    startServiceProcess('portal-query', common),
    startServiceProcess(
      'webhook-delivery',
      { ...common, WEBHOOK_SECRET_KEY: `e2e-webhook-key-${'w'.repeat(32)}`, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_SCHEDULE: '200ms,400ms', WEBHOOK_RETRY_MIN_SPAN_MS: '1000' },
      { readyTimeoutMs: 90_000 },
    ),
  ]);
  const portal = await startPortalPreview(portalPort, `https://app.example.com ${hostUrl}`, {
    SCIM_INGRESS_URL: ingress.url,
    ROLE_ASSIGNMENT_URL: roles.url,
    PORTAL_QUERY_URL: query.url,
    WEBHOOK_DELIVERY_URL: webhooks.url,
  });
  const host = await startHostPage(hostPort, portalUrl);
  stack = { host, hostUrl, ingress, roles, query, webhooks, portal, portalUrl };
  // launch() gives the browser a fresh temporary user-data-dir of its own (removed on close).
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (stack?.host ? stack.host.close(() => r(undefined)) : r(undefined)));
  if (stack?.portal.pid && stack.portal.exitCode === null) await terminate(stack.portal.pid, 'SIGTERM', 10_000);
  await Promise.all([stack?.roles.stop(), stack?.query.stop(), stack?.webhooks.stop()]);
  await stack?.ingress.stop();
}, 90_000);

function running(): Stack {
  if (!stack || !browser) throw new Error('stack not started');
  return stack;
}

/** The host app's settings page: an iframe with `?src=` and a log of the portal's messages (from the portal's origin only). */
function startHostPage(port: number, portalOrigin: string): Promise<Server> {
  const server = createServer((request, response) => {
    const src = new URL(request.url ?? '/', `http://127.0.0.1:${port}`).searchParams.get('src') ?? '';
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html><head><title>Host app settings</title><link rel="icon" href="data:,"></head><body>
<h1>Acme app — Directory sync</h1>
<script>window.portalMessages = []; window.addEventListener('message', (e) => { if (e.origin === ${JSON.stringify(portalOrigin)}) window.portalMessages.push(e.data); });</script>
<iframe title="SCIM configuration portal" src="${src.replace(/"/g, '&quot;')}" style="width:1200px;height:800px;border:1px solid #ccc"></iframe>
</body></html>`);
  });
  return new Promise((resolveListen) => server.listen(port, '127.0.0.1', () => resolveListen(server)));
}

/** A page in a fresh browser context (its own cookies) that records console errors and page errors. */
async function newPage(): Promise<{ context: BrowserContext; page: Page; consoleErrors: string[] }> {
  if (!browser) throw new Error('browser not started');
  // Reduced motion: screenshots never catch a panel half-way through its slide-in.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  return { context, page, consoleErrors };
}

async function createOrganization(name: string): Promise<string> {
  const org = await managementCall<{ id: string }>(running().ingress.url, 'POST', '/organizations', { name });
  if (org.status !== 201) throw new Error(`create organization: ${org.status} ${org.text}`);
  return org.body.id;
}

async function portalLink(organizationId: string, kind: 'shareable' | 'embedded' = 'shareable'): Promise<{ id: string; url: string }> {
  const link = await managementCall<{ id: string; url: string }>(running().ingress.url, 'POST', `/organizations/${organizationId}/portal-links`, { kind });
  if (link.status !== 201) throw new Error(`portal link: ${link.status} ${link.text}`);
  return link.body;
}

/** A SCIM request as OneLogin sends it (application/json both ways). */
async function oneLogin(endpointUrl: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${endpointUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** A user body as OneLogin's JSON template produces it (single-object emails, string booleans, empty strings). */
function oneLoginUser(userName: string, givenName: string, familyName: string): Record<string, unknown> {
  return {
    schemas: [USER_URN, ENTERPRISE_URN],
    userName,
    externalId: `ol-${userName}`,
    name: { givenName, familyName, formatted: '' },
    emails: { value: userName, type: 'work', primary: true },
    active: 'true',
    title: 'Engineer',
    [ENTERPRISE_URN]: { department: 'Engineering', manager: { managerId: '', displayName: '' } },
  };
}

const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

describe('SCIM configuration portal (browser)', () => {
  it(
    'portal link → OneLogin → Configure → live users and groups → role mapping → user detail → revoked token shows 401',
    async () => {
      const { ingress, roles } = running();
      const orgName = uniqueId('Acme Corp');
      const orgId = await createOrganization(orgName);
      // The app's backend defines its roles (only it may: management key).
      const catalog = await managementCall(roles.url, 'PUT', `/organizations/${orgId}/roles`, {
        roles: [
          { key: 'admin', displayName: 'Admin' },
          { key: 'member', displayName: 'Member' },
          { key: 'viewer', displayName: 'Viewer' },
        ],
      });
      expect(catalog.status).toBe(200);
      const link = await portalLink(orgId);
      expect(link.url).toMatch(new RegExp(`^${running().portalUrl}/open#token=pl_`));

      const { context, page, consoleErrors } = await newPage();
      try {
        // 1. Open the link: the session starts, the fragment leaves the address bar.
        await page.goto(link.url);
        await page.getByTestId('organization-name').filter({ hasText: orgName }).waitFor();
        expect(new URL(page.url()).pathname).toBe('/');
        expect(page.url()).not.toContain('token=');
        const cookies = await context.cookies();
        expect(cookies.find((c) => c.name === 'scimbridge_portal')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
        await page.getByRole('tab', { name: 'SCIM Provisioning' }).waitFor();
        expect(await page.getByRole('tab', { name: 'SCIM Provisioning' }).getAttribute('aria-selected')).toBe('true');
        await page.getByRole('heading', { name: 'Choose your directory provider' }).waitFor();
        await shot(page, '01-portal-opened');

        // 2. Choose OneLogin, 3. Configure.
        await page.getByRole('radio', { name: 'Okta' }).check();
        await page.getByRole('radio', { name: 'OneLogin' }).check();
        expect(await page.getByRole('radio', { name: 'OneLogin' }).isChecked()).toBe(true);
        await shot(page, '02-provider-chosen');
        await page.getByRole('button', { name: 'Configure' }).click();
        const urlField = page.getByTestId('endpoint-url');
        const tokenField = page.getByTestId('bearer-token');
        await tokenField.waitFor();
        const endpointUrl = await urlField.inputValue();
        const token = await tokenField.inputValue();
        expect(endpointUrl).toMatch(new RegExp(`^${ingress.url}/directory/[0-9a-f-]{36}/scim/v2$`));
        expect(token).toMatch(/^scim_[A-Za-z0-9_-]{20,}$/);
        await page.getByText('Waiting for the first request from OneLogin').first().waitFor();
        await page.getByText('SCIM Provisioner with SAML (SCIM v2 Enterprise)').waitFor();
        await page.locator('[data-testid="token-row"]').filter({ hasText: token.slice(-4) }).waitFor();
        await shot(page, '03-configured-url-and-token');

        // The token is shown once: after "I have copied it" only its last four characters remain.
        await page.getByRole('button', { name: 'I have copied it' }).click();
        expect(await page.getByTestId('bearer-token').count()).toBe(0);
        expect(await page.content()).not.toContain(token);

        // 4. OneLogin's "Enable" probes the connection; the status turns Connected without a reload.
        await page.evaluate(() => ((globalThis as unknown as { portalE2eMarker: string }).portalE2eMarker = 'no reload'));
        const probe = await oneLogin(endpointUrl, token, 'GET', `/Users?filter=${encodeURIComponent('userName eq "onelogin-connection-test-1"')}`);
        expect(probe.status).toBe(200);
        await page.getByText(/Connected — last request/).waitFor({ timeout: 15_000 });
        await shot(page, '04-connected');

        // 5. OneLogin provisions a user: it appears in the open Users tab without a reload.
        await page.getByRole('tab', { name: /^Users/ }).click();
        await page.getByText('No users yet').waitFor();
        const userName = `${uniqueId('jane')}@acme.example`;
        expect((await oneLogin(endpointUrl, token, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).body['totalResults']).toBe(0);
        const created = await oneLogin(endpointUrl, token, 'POST', '/Users', oneLoginUser(userName, 'Jane', 'Doe'));
        expect(created.status).toBe(201);
        const userId = created.body['id'] as string;
        const provisionedAt = Date.now();
        await page.locator(`[data-testid="user-row"][data-user-name="${userName}"]`).waitFor({ timeout: 10_000 });
        const userLatencyMs = Date.now() - provisionedAt;
        await page.getByTestId('users-count').filter({ hasText: '1' }).waitFor();
        await shot(page, '05-user-appeared');

        // 6. OneLogin pushes a role as a group and adds the user; the Groups tab shows it live.
        await page.getByRole('tab', { name: /^Groups/ }).click();
        const group = await oneLogin(endpointUrl, token, 'POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Engineering' });
        expect(group.status).toBe(201);
        const groupId = group.body['id'] as string;
        const patched = await oneLogin(endpointUrl, token, 'PATCH', `/Groups/${groupId}`, {
          schemas: [PATCH_URN],
          Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }],
        });
        expect([200, 204]).toContain(patched.status);
        const groupRow = page.locator('[data-testid="group-row"][data-group-name="Engineering"]');
        await groupRow.waitFor({ timeout: 10_000 });
        await groupRow.locator('td').nth(1).filter({ hasText: '1' }).waitFor({ timeout: 10_000 });
        await groupRow.getByRole('button', { name: 'Engineering' }).click();
        await page.getByTestId('group-panel').getByText('Jane Doe').waitFor();
        await shot(page, '06-group-with-member');
        await page.keyboard.press('Escape');

        // 7. Map the group to a role, with the preview of who gains it before saving.
        await page.getByRole('tab', { name: 'Configuration' }).click();
        const mapping = page.locator('[data-testid="mapping-row"][data-group="Engineering"]');
        await mapping.waitFor({ timeout: 10_000 });
        const groupSearch = page.getByTestId('role-assignment').getByLabel('Search groups');
        await groupSearch.fill('zzz-none');
        await page.getByText('No group matches “zzz-none”.').waitFor();
        await groupSearch.fill('engin');
        await mapping.waitFor();
        await mapping.getByRole('checkbox', { name: 'Admin for Engineering' }).check();
        await page.getByTestId('role-preview').getByText('Admin: 1 user gains').waitFor({ timeout: 10_000 });
        await shot(page, '07-role-mapping-preview');
        await page.getByTestId('role-assignment').getByRole('button', { name: 'Save' }).click();
        await page.getByText('Saved. Users gain and lose roles').waitFor();

        // 8. The user's detail shows the role and why (after a look at search and filters).
        await page.getByRole('tab', { name: /^Users/ }).click();
        await page.getByLabel('Search users').fill('no-such-person');
        await page.getByText('No user matches these filters').waitFor();
        await page.getByLabel('Search users').fill('jane');
        await page.getByLabel('Status').selectOption('inactive');
        await page.getByText('No user matches these filters').waitFor();
        await page.getByLabel('Status').selectOption('active');
        await page.getByLabel('Group').selectOption({ label: 'Engineering' });
        await page.locator(`[data-testid="user-row"][data-user-name="${userName}"]`).waitFor();
        await page.locator(`[data-testid="user-row"][data-user-name="${userName}"]`).getByRole('button').click();
        const panel = page.getByRole('dialog');
        await panel.getByText(userId, { exact: true }).waitFor();
        await panel.locator('[data-testid="user-roles"] li[data-role="admin"]').filter({ hasText: 'via Engineering' }).waitFor({ timeout: 15_000 });
        await panel.getByText('Raw SCIM payload').click();
        expect(await panel.getByTestId('raw-payload').textContent()).toContain(userName);
        await shot(page, '08-user-detail-with-role');
        await page.keyboard.press('Escape');

        // 9. Revoke the token: OneLogin's next request fails with 401, and the status says so.
        await page.getByRole('tab', { name: 'Configuration' }).click();
        await page.getByRole('button', { name: `Revoke token ending in ${token.slice(-4)}` }).click();
        await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke token' }).click();
        await page.getByTestId('no-active-token').waitFor();
        const refused = await oneLogin(endpointUrl, token, 'GET', `/Users/${userId}`);
        expect(refused.status).toBe(401);
        await page.locator('[data-testid="connection-status"][data-status="error"]').getByText(/Last request failed with 401/).waitFor({ timeout: 15_000 });
        await page.getByText(`GET /Users/${userId} → 401`).waitFor();
        await shot(page, '09-revoked-token-401');

        // 10. The Events tab: the failed request highlighted, the provisioning requests with their events.
        await page.getByRole('tab', { name: 'Events' }).click();
        await page.locator('[data-testid="request-row"][data-status="401"].row-failed').first().waitFor({ timeout: 10_000 });
        await page.locator('[data-testid="request-row"]').filter({ hasText: 'UserProvisioned' }).waitFor();
        await page.getByLabel('Event type').selectOption('GroupMembershipChanged');
        expect(await page.locator('[data-testid="request-row"]').count()).toBe(1);
        await page.getByLabel('Event type').selectOption('');
        await shot(page, '10-events-with-failure');

        // Keyboard: the tabs follow the WAI-ARIA pattern (arrow keys move and select).
        await page.getByRole('tab', { name: 'Events' }).focus();
        await page.keyboard.press('Home');
        expect(await page.getByRole('tab', { name: 'Configuration' }).getAttribute('aria-selected')).toBe('true');
        await page.keyboard.press('ArrowRight');
        expect(await page.getByRole('tab', { name: /^Users/ }).getAttribute('aria-selected')).toBe('true');
        await page.keyboard.press('ArrowLeft');
        // Responsive: the same page on a phone.
        await page.setViewportSize({ width: 390, height: 844 });
        await page.getByTestId('no-active-token').waitFor();
        await page.getByTestId('role-assignment').waitFor();
        await shot(page, '11-mobile-configuration');

        // The whole scenario ran in one page load, with no console error.
        expect(await page.evaluate(() => (globalThis as unknown as { portalE2eMarker?: string }).portalE2eMarker)).toBe('no reload');
        expect(consoleErrors).toEqual([]);
        // Live updates are polling once a second: the user showed up well within a few seconds.
        expect(userLatencyMs).toBeLessThan(5_000);

        // 12. Resend everything (full-state resync), then delete the directory: explained, confirmed by
        // typing, then back to the provider choice.
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.getByRole('tab', { name: 'Configuration' }).click();
        await page.getByRole('button', { name: 'Resend', exact: true }).click();
        await page.getByTestId('resync-status').getByText(/Resent 1 group and 1 user at/).waitFor({ timeout: 15_000 });
        await page.getByRole('button', { name: 'Delete directory' }).click();
        const dialog = page.getByRole('alertdialog');
        await dialog.getByText(/1 synced user is deprovisioned in this app/).waitFor();
        await dialog.getByText(/1 synced group is removed/).waitFor();
        expect(await dialog.getByRole('button', { name: 'Delete directory' }).isDisabled()).toBe(true);
        await dialog.getByLabel('Type delete to confirm').fill('delete');
        await shot(page, '12-delete-confirmation');
        await dialog.getByRole('button', { name: 'Delete directory' }).click();
        await page.getByTestId('directory-deleted').getByText(/OneLogin directory was deleted/).waitFor({ timeout: 10_000 });
        await page.getByRole('heading', { name: 'Choose your directory provider' }).waitFor();
        // (The token was revoked in step 9; the directory itself is now unknown to the management API.)
        const directoryId = new URL(endpointUrl).pathname.split('/')[2] as string;
        expect((await managementCall(ingress.url, 'GET', `/directories/${directoryId}/connection`)).status).toBe(404);
        await shot(page, '13-directory-deleted');
        // A poll of the deleted directory that was already on its way may be answered 404; nothing else.
        expect(consoleErrors.filter((e) => !/status of 404 \(Not Found\)/.test(e))).toEqual([]);
      } catch (error) {
        await shot(page, 'failure-scenario').catch(() => undefined);
        throw error;
      } finally {
        await context.close();
      }
    },
    240_000,
  );

  it("keeps a session to its organization: org A's session gets 404 for org B's directory, through every backend", async () => {
    const { ingress } = running();
    const orgA = await createOrganization(uniqueId('org-a'));
    const orgB = await createTestDirectory(ingress.url, 'onelogin');
    const { context, page } = await newPage();
    try {
      await page.goto((await portalLink(orgA)).url);
      await page.getByRole('heading', { name: 'Choose your directory provider' }).waitFor();
      const statuses = await page.evaluate(
        async ({ dir, org }) => {
          const paths = [
            `/api/v1/directories/${dir}`,
            `/api/v1/directories/${dir}/users`,
            `/api/v1/directories/${dir}/groups`,
            `/api/v1/directories/${dir}/events`,
            `/api/v1/directories/${dir}/connection`,
            `/api/v1/directories/${dir}/scim-requests`,
            `/api/v1/directories/${dir}/role-mappings`,
            `/api/v1/organizations/${org}`,
            `/api/v1/organizations/${org}/directories`,
            `/api/v1/organizations/${org}/directory-overviews`,
            `/api/v1/organizations/${org}/roles`,
          ];
          const out: Record<string, number> = {};
          for (const path of paths) out[path] = (await fetch(path, { credentials: 'same-origin' })).status;
          // A write too (with the CSRF header): org A cannot rotate org B's token.
          out['POST tokens'] = (await fetch(`/api/v1/directories/${dir}/tokens`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'X-Scimbridge-Portal': '1' }, body: '{}' })).status;
          return out;
        },
        { dir: orgB.directoryId, org: orgB.organizationId },
      );
      expect(Object.entries(statuses).filter(([, status]) => status !== 404)).toEqual([]);
      // Its own organization answers (the cookie works through the proxy).
      expect(await page.evaluate(async (org) => (await fetch(`/api/v1/organizations/${org}/directories`)).status, orgA)).toBe(200);
    } finally {
      await context.close();
    }
  });

  it('shows a clear page for an expired link, a reused embedded link, and no link at all', async () => {
    const orgId = await createOrganization(uniqueId('org-links'));
    // Only the expected refusals may reach the console (Chromium logs every 4xx response it loads).
    const onlyRefusals = (errors: string[]): string[] => errors.filter((e) => !/status of 401 \(Unauthorized\)/.test(e));

    const expired = await portalLink(orgId);
    const db = new Client({ connectionString: requiredEnv('DATABASE_URL') });
    await db.connect();
    try {
      await db.query(`UPDATE scim_ingress.portal_links SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]);
    } finally {
      await db.end();
    }
    const first = await newPage();
    try {
      await first.page.goto(expired.url);
      await first.page.getByRole('heading', { name: 'This portal link has expired' }).waitFor();
      expect(await first.page.getByTestId('refusal-reason').getAttribute('data-reason')).toBe('expired');
      await shot(first.page, '12-expired-link');
      expect((await first.context.cookies()).filter((c) => c.name === 'scimbridge_portal')).toEqual([]);
      expect(onlyRefusals(first.consoleErrors)).toEqual([]);
    } finally {
      await first.context.close();
    }

    // An embedded link opens one session; loading the same URL again (another iframe load) is refused.
    const embedded = await portalLink(orgId, 'embedded');
    const second = await newPage();
    const exchanges: string[] = [];
    second.page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/api/v1/portal-sessions')) exchanges.push(request.url());
    });
    try {
      await second.page.goto(embedded.url);
      await second.page
        .getByRole('heading', { name: 'Choose your directory provider' })
        .waitFor()
        .catch(async (error: unknown) => {
          await shot(second.page, 'failure-embedded');
          throw new Error(`${String(error)}\nexchanges: ${exchanges.length}\nconsole: ${second.consoleErrors.join('\n')}`);
        });
      const third = await newPage();
      try {
        await third.page.goto(embedded.url);
        await third.page.getByRole('heading', { name: 'This portal link has already been used' }).waitFor();
        await shot(third.page, '13-reused-embedded-link');
        expect(onlyRefusals(third.consoleErrors)).toEqual([]);
      } finally {
        await third.context.close();
      }
      expect(second.consoleErrors).toEqual([]);
      expect(exchanges).toHaveLength(1);
    } finally {
      await second.context.close();
    }

    // No link, no session: a page that says how to get in (not a blank screen).
    const none = await newPage();
    try {
      await none.page.goto(`${running().portalUrl}/`);
      await none.page.getByRole('heading', { name: 'Open the portal from your app' }).waitFor();
      await shot(none.page, '14-no-session');
      expect(onlyRefusals(none.consoleErrors)).toEqual([]);
    } finally {
      await none.context.close();
    }
  });

  it('serves the build with a CSP that lets only the configured origins frame it', async () => {
    const response = await fetch(`${running().portalUrl}/open`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain(`frame-ancestors 'self' https://app.example.com ${running().hostUrl}`);
    expect(await response.text()).toContain('<div id="root">');
  });

  it('embeds in the app\'s settings page with an embedded link, and tells the host page what happens', async () => {
    const { hostUrl } = running();
    const orgId = await createOrganization(uniqueId('org-embed'));
    const embedded = await portalLink(orgId, 'embedded');
    const { context, page, consoleErrors } = await newPage();
    try {
      await page.goto(`${hostUrl}/?src=${encodeURIComponent(embedded.url)}`);
      const frame = page.frameLocator('iframe[title="SCIM configuration portal"]');
      await frame.getByRole('heading', { name: 'Choose your directory provider' }).waitFor();
      const messages = (): Promise<{ type: string; source: string; organizationId?: string; directoryId?: string }[]> =>
        page.evaluate(() => (globalThis as unknown as { portalMessages: { type: string; source: string }[] }).portalMessages);
      await waitFor('the loaded message', async () => {
        if (!(await messages()).some((m) => m.type === 'loaded')) throw new Error(JSON.stringify(await messages()));
      });
      expect((await messages())[0]).toEqual({ source: 'scimbridge-portal', type: 'loaded', organizationId: orgId });
      await frame.getByRole('button', { name: 'Configure' }).click();
      await frame.getByTestId('bearer-token').waitFor();
      await frame.getByRole('button', { name: 'Disable directory' }).click();
      await frame.getByRole('alertdialog').getByRole('button', { name: 'Disable directory' }).click();
      await frame.getByRole('button', { name: 'Enable directory' }).waitFor();
      await frame.getByRole('button', { name: 'Enable directory' }).click();
      await frame.getByRole('button', { name: 'Disable directory' }).waitFor();
      await waitFor('the enable/disable messages', async () => {
        const types = (await messages()).map((m) => m.type);
        if (!types.includes('directory.enabled')) throw new Error(types.join(','));
      });
      const types = (await messages()).map((m) => m.type);
      expect(types).toEqual(['loaded', 'directory.disabled', 'directory.enabled']);
      await shot(page, '15-embedded-in-host-page');
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('tells the host page when the session is about to end, and when it has ended', async () => {
    const { hostUrl, ingress } = running();
    const orgId = await createOrganization(uniqueId('org-expiry'));
    // The shortest session (5 minutes) is inside the 5-minute warning from the start.
    const link = await managementCall<{ url: string }>(ingress.url, 'POST', `/organizations/${orgId}/portal-links`, { kind: 'embedded', sessionMinutes: 5 });
    expect(link.status).toBe(201);
    const { context, page, consoleErrors } = await newPage();
    try {
      await page.goto(`${hostUrl}/?src=${encodeURIComponent(link.body.url)}`);
      const frame = page.frameLocator('iframe[title="SCIM configuration portal"]');
      await frame.getByText(/Your session ends at/).waitFor();
      await frame.getByRole('button', { name: 'Configure' }).click();
      await frame.getByTestId('connection-status').waitFor();
      // The session ends (here: its cookie is gone): the next call gets 401 and the portal says so.
      await context.clearCookies();
      await frame.getByRole('heading', { name: 'Your session has expired' }).waitFor({ timeout: 10_000 });
      const messages = await page.evaluate(() => (globalThis as unknown as { portalMessages: { type: string; expiresAt?: string }[] }).portalMessages);
      expect(messages.map((m) => m.type)).toEqual(['loaded', 'session.expiring', 'session.expired']);
      expect(Date.parse(messages[1]?.expiresAt ?? '') - Date.now()).toBeGreaterThan(60_000);
      await shot(page, '16-session-expired-in-host-page');
      expect(consoleErrors.filter((e) => !/status of 401 \(Unauthorized\)/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('manages webhooks: add an endpoint (secret once), see signed deliveries succeed and fail, redeliver', async () => {
    const { ingress } = running();
    const directory = await createTestDirectory(ingress.url, 'onelogin');
    // The app's receiver: verifies each signature with the standardwebhooks library; answers 500 to the
    // first delivery of a user named "fail…" so the log shows a failure (and a dead one after two retries).
    const received: string[] = [];
    let secret = '';
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (c: Buffer) => (body += c.toString('utf8')));
      request.on('end', () => {
        try {
          const envelope = new Webhook(secret).verify(body, request.headers as Record<string, string>) as { type: string; data: { userName?: string } };
          received.push(envelope.type);
          response.writeHead(envelope.data.userName?.startsWith('fail') ? 500 : 204).end();
        } catch {
          response.writeHead(401).end();
        }
      });
    });
    const receiverPort = await randomFreePort();
    await new Promise<void>((r) => receiver.listen(receiverPort, '127.0.0.1', () => r()));
    const { context, page, consoleErrors } = await newPage();
    try {
      await page.goto((await portalLink(directory.organizationId)).url);
      await page.getByRole('tab', { name: 'Webhooks' }).click();
      await page.getByRole('heading', { name: 'Add a webhook endpoint' }).waitFor();
      await page.getByLabel('Endpoint URL').fill(`http://127.0.0.1:${receiverPort}/hooks`);
      await page.getByLabel('Description').fill('Acme app');
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      const secretField = page.getByTestId('webhook-secret');
      await secretField.waitFor();
      secret = await secretField.inputValue();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
      await shot(page, '20-webhook-added-secret-once');
      await page.getByRole('button', { name: 'I have copied it' }).click();
      expect(await page.getByTestId('webhook-secret').count()).toBe(0);

      const scim = scimClient(directory);
      expect((await scim('POST', '/Users', { schemas: [USER_URN], userName: 'ok.user@acme.example', active: true })).status).toBe(201);
      expect((await scim('POST', '/Users', { schemas: [USER_URN], userName: 'fail.user@acme.example', active: true })).status).toBe(201);
      await page.locator('[data-testid="delivery-row"][data-status="succeeded"]').filter({ hasText: 'UserProvisioned' }).first().waitFor({ timeout: 20_000 });
      const dead = page.locator('[data-testid="delivery-row"][data-status="dead"]').filter({ hasText: 'UserProvisioned' });
      await dead.first().waitFor({ timeout: 20_000 });
      expect(received.filter((t) => t === 'UserProvisioned').length).toBeGreaterThanOrEqual(4); // 1 ok + 3 attempts of the failing one
      await dead.first().getByRole('button', { name: 'UserProvisioned' }).click();
      await page.getByText(/#1 .* HTTP 500/).first().waitFor();
      await shot(page, '21-webhook-deliveries');
      // Redeliver puts it back in line; the receiver still fails it, so it is attempted again.
      const before = received.length;
      await dead.first().getByRole('button', { name: 'Redeliver' }).click();
      await waitFor('the redelivery to reach the receiver', async () => {
        if (received.length <= before) throw new Error('not yet');
      });
      // Disabling says what it means for events meanwhile; enabling again takes the note away.
      await page.getByRole('button', { name: 'Disable', exact: true }).click();
      await page.getByTestId('webhook-disabled-note').waitFor();
      expect(await page.getByTestId('webhook-disabled-note').textContent()).toContain('not queued for this endpoint');
      await page.getByRole('button', { name: 'Enable', exact: true }).click();
      await page.getByTestId('webhook-disabled-note').waitFor({ state: 'detached' });
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
      await new Promise((r) => receiver.close(() => r(undefined)));
    }
  });

  it('pages, sorts and searches a directory of 30 users', async () => {
    const { ingress } = running();
    const directory = await createTestDirectory(ingress.url, 'onelogin');
    const names = Array.from({ length: 30 }, (_, i) => `user${String(i).padStart(2, '0')}@paging.example`);
    for (const [i, name] of names.entries()) {
      const created = await oneLogin(directory.endpointUrl, directory.token, 'POST', '/Users', oneLoginUser(name, `Given${i}`, `Family${i}`));
      expect(created.status).toBe(201);
    }
    const { context, page, consoleErrors } = await newPage();
    try {
      await page.goto((await portalLink(directory.organizationId)).url);
      await page.getByRole('tab', { name: /^Users/ }).click();
      const rows = page.locator('[data-testid="user-row"]');
      await page.getByText('30 users').waitFor({ timeout: 15_000 });
      const userNames = async (): Promise<string[]> => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-user-name') ?? ''));
      expect(await userNames()).toEqual(names.slice(0, 25));
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByText('page 2').waitFor();
      await waitFor('page 2', async () => {
        const shown = await userNames();
        if (JSON.stringify(shown) !== JSON.stringify(names.slice(25))) throw new Error(shown.join(','));
      });
      expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
      await page.getByRole('button', { name: 'Previous' }).click();
      await waitFor('page 1 again', async () => {
        if ((await userNames())[0] !== names[0]) throw new Error((await userNames()).join(','));
      });
      await page.getByLabel('Sort').selectOption('createdAt:desc');
      await waitFor('newest first', async () => {
        if ((await userNames())[0] !== names[29]) throw new Error((await userNames()).join(','));
      });
      await page.getByLabel('Search users').fill('Family17');
      await waitFor('the search', async () => {
        const shown = await userNames();
        if (JSON.stringify(shown) !== JSON.stringify([names[17]])) throw new Error(shown.join(','));
      });
      await shot(page, '17-users-search');
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('refuses to be framed by an origin that is not configured', async () => {
    const orgId = await createOrganization(uniqueId('org-frame'));
    const embedded = await portalLink(orgId, 'embedded');
    // Same page, other origin (localhost is not in PORTAL_FRAME_ANCESTORS).
    const foreignHost = running().hostUrl.replace('127.0.0.1', 'localhost');
    const { context, page, consoleErrors } = await newPage();
    try {
      await page.goto(`${foreignHost}/?src=${encodeURIComponent(embedded.url)}`);
      await waitFor('Chromium to block the frame', async () => {
        if (!consoleErrors.some((e) => e.includes('frame-ancestors'))) throw new Error(consoleErrors.join('\n') || 'no CSP report yet');
      }, { timeoutMs: 15_000 });
      const frame = page.frames().find((f) => f !== page.mainFrame());
      expect(frame?.url() ?? '').not.toContain('/open');
      // No portal code ran in the blocked frame: the single-use link is still unused and opens a session top-level.
      const direct = await context.newPage();
      await direct.goto(embedded.url);
      await direct.getByRole('heading', { name: 'Choose your directory provider' }).waitFor();
    } finally {
      await context.close();
    }
  });
});
