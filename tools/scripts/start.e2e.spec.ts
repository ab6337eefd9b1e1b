import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { chromium, type Browser } from 'playwright-core';
import { descendantsOf, isAlive, listProcesses, randomFreePort, uniqueId, waitFor, type ProcessInfo } from '@scimbridge/testing';

/**
 * `npm start` as a user runs it: its own PostgreSQL and Kafka (not the test run's), all services and the
 * portal, links printed; Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops
 * everything; a restart keeps the data; and even `kill -9` of the start script leaves nothing behind.
 */
const root = resolve(__dirname, '../..');
const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

interface RunningStack {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly urls: Record<string, string>;
  readonly postgresPort: number;
}

describe('npm start', () => {
  const dataDir = join(root, 'tmp', uniqueId('e2e-start'));
  const ports: Record<string, string> = {};
  let stack: RunningStack | undefined;
  let treeDuringFirstRun: ProcessInfo[] = [];

  beforeAll(async () => {
    for (const name of ['POSTGRES_PORT', 'KAFKA_PORT', 'SCIM_INGRESS_PORT', 'ROLE_ASSIGNMENT_PORT', 'PORTAL_QUERY_PORT', 'PORTAL_WEB_PORT']) {
      ports[name] = String(await randomFreePort());
    }
    mkdirSync(dataDir, { recursive: true });
  });

  afterAll(async () => {
    // Never leave a stack behind when an assertion failed half-way.
    if (stack?.child.pid && isAlive(stack.child.pid)) process.kill(-stack.child.pid, 'SIGKILL');
  });

  function startStack(): Promise<RunningStack> {
    const env: NodeJS.ProcessEnv = { ...process.env, ...ports, SCIMBRIDGE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    // The test run's own infrastructure must not be reused: npm start has to bring up its own.
    delete env['DATABASE_URL'];
    delete env['KAFKA_BROKERS'];
    // detached: its own process group, like a job in a terminal, so SIGINT can go to all of it.
    const child = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
    return waitFor(
      'npm start to print that the stack is up',
      async () => {
        if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
        if (!output.includes('scimbridge is up')) throw new Error('not up yet');
        const link = (label: string): string => {
          const match = new RegExp(`${label}\\s+(http://\\S+?)/?\\s`).exec(output);
          if (!match?.[1]) throw new Error(`no ${label} link in:\n${output}`);
          return match[1];
        };
        const urls = {
          portal: link('SCIM configuration portal'),
          'scim-ingress': link('scim-ingress'),
          'role-assignment': link('role-assignment'),
          'portal-query': link('portal-query'),
        };
        return { child, output: () => output, urls, postgresPort: Number(ports['POSTGRES_PORT']) };
      },
      { timeoutMs: 240_000, intervalMs: 250 },
    );
  }

  async function waitForExit(child: ChildProcess, timeoutMs = 60_000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('npm start did not exit')), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        res();
      });
    });
  }

  /** Processes of this stack still running: from the recorded tree, or anything touching its data dir. */
  function leftovers(tree: ProcessInfo[]): ProcessInfo[] {
    const recorded = tree.filter((p) => isAlive(p.pid));
    const byDataDir = listProcesses().filter((p) => p.cmdline.includes(dataDir) && !p.cmdline.includes('jest'));
    return [...recorded, ...byDataDir.filter((p) => !recorded.some((r) => r.pid === p.pid))];
  }

  async function dbClient(): Promise<Client> {
    const password = readFileSync(join(dataDir, 'postgres', 'password'), 'utf8').trim();
    const client = new Client({ host: '127.0.0.1', port: Number(ports['POSTGRES_PORT']), user: 'postgres', password, database: 'scimbridge' });
    await client.connect();
    return client;
  }

  let firstDemo: { endpointUrl: string; bearerToken: string } | undefined;

  /** The demo directory's connection details as `npm start` printed them (the last start's). */
  function demoConnection(output: string): { endpointUrl: string; bearerToken: string } {
    const last = (label: string): string => {
      const values = [...output.matchAll(new RegExp(`${label}\\s+(\\S+)`, 'g'))].map((m) => m[1] as string);
      const value = values[values.length - 1];
      if (!value) throw new Error(`npm start printed no "${label}"`);
      return value;
    };
    return { endpointUrl: last('SCIM endpoint URL'), bearerToken: last('SCIM bearer token') };
  }

  const managementKey = (output: string): string => /Management API key\s+(\S+)/.exec(output)?.[1] ?? '';
  const demoOrganizationId = async (): Promise<string> => (JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as { organizationId: string }).organizationId;

  it('brings up PostgreSQL, Kafka, the three services and the portal, and prints their links', async () => {
    stack = await startStack();
    expect(stack.urls['portal']).toBe(`http://127.0.0.1:${ports['PORTAL_WEB_PORT']}`);
    for (const service of ['scim-ingress', 'role-assignment', 'portal-query']) {
      const response = await fetch(`${stack.urls[service]}/health/ready`);
      expect({ service, status: response.status }).toEqual({ service, status: 200 });
    }
    const page = await fetch(`${stack.urls['portal']}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('SCIM configuration portal');
    // The portal routes /api by path to the service that owns it.
    const noSession = await fetch(`${stack.urls['portal']}/api/v1/portal-sessions/current`);
    expect(noSession.status).toBe(401);
    // The portal reaches each service through its proxy.
    const proxied = await fetch(`${stack.urls['portal']}/status/role-assignment`);
    expect(proxied.status).toBe(200);
    expect(stack.output()).toContain(`Kafka                      127.0.0.1:${ports['KAFKA_PORT']} (local)`);
    expect(stack.output()).toContain(`PostgreSQL                 127.0.0.1:${ports['POSTGRES_PORT']} (local)`);

    // The demo OneLogin directory: the printed endpoint URL and bearer token work as OneLogin uses them.
    const demo = demoConnection(stack.output());
    expect(demo.endpointUrl).toMatch(new RegExp(`^${stack.urls['scim-ingress']}/directory/[0-9a-f-]{36}/scim/v2$`));
    const probe = await fetch(`${demo.endpointUrl}/Users?filter=${encodeURIComponent('userName eq "connection-test"')}`, {
      headers: { authorization: `Bearer ${demo.bearerToken}`, accept: 'application/json' },
    });
    expect(probe.status).toBe(200);
    expect(await probe.json()).toMatchObject({ totalResults: 0, Resources: [] });
    firstDemo = demo;
  });

  it('prints a portal link that opens the demo organization\'s portal in a real browser, on the production build', async () => {
    if (!stack) throw new Error('stack not started');
    if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: install Debian's chromium package`);
    const match = /Portal link \(demo org\)\s+(\S+)/.exec(stack.output());
    const portalLink = match?.[1] ?? '';
    expect(portalLink).toMatch(new RegExp(`^${stack.urls['portal']}/open#token=pl_[A-Za-z0-9_-]{43}$`));
    const demo = demoConnection(stack.output());
    const browser: Browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      await page.goto(portalLink);
      await page.getByTestId('organization-name').filter({ hasText: 'Demo Company' }).waitFor({ timeout: 30_000 });
      // The demo OneLogin directory, with the endpoint URL npm start printed.
      expect(await page.getByTestId('endpoint-url').inputValue()).toBe(demo.endpointUrl);
      await page.getByRole('heading', { name: 'Set up OneLogin' }).waitFor();
      // The first test's request with the printed token reached it: the portal shows the directory connected.
      await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(root, 'tmp', 'portal-start-e2e.png'), fullPage: true });
      expect(consoleErrors).toEqual([]);
      // Served from the build (vite preview), not the dev server.
      const html = await (await fetch(`${stack.urls['portal']}/`)).text();
      expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
      // The demo app's roles catalog, which role pickers offer.
      const roles = await fetch(`${stack.urls['role-assignment']}/api/v1/organizations/${await demoOrganizationId()}/roles`, { headers: { authorization: `Bearer ${managementKey(stack.output())}` } });
      expect(((await roles.json()) as { roles: { key: string }[] }).roles.map((r) => r.key)).toEqual(['admin', 'member', 'viewer']);
    } finally {
      await browser.close();
    }
  });

  it('stops everything on Ctrl-C and keeps the data for the next start', async () => {
    if (!stack?.child.pid) throw new Error('stack not started');
    const client = await dbClient();
    await client.query('CREATE TABLE IF NOT EXISTS e2e_marker (note text)');
    await client.query(`INSERT INTO e2e_marker VALUES ('kept across restarts')`);
    await client.end();

    treeDuringFirstRun = descendantsOf(stack.child.pid);
    const names = treeDuringFirstRun.map((p) => p.cmdline).join('\n');
    expect(names).toMatch(/postgres -D/);
    expect(names).toMatch(/kafka\.Kafka/);
    expect(names).toMatch(/apps\/scim-ingress\/src\/main\.ts/);
    expect(names).toMatch(/vite/);

    process.kill(-stack.child.pid, 'SIGINT');
    await waitForExit(stack.child);
    expect(stack.output()).toContain('[start] stopped');
    await waitFor('no processes left', async () => {
      const left = leftovers(treeDuringFirstRun);
      if (left.length > 0) throw new Error(left.map((p) => `${p.pid} ${p.cmdline.slice(0, 120)}`).join('\n'));
    }, { timeoutMs: 20_000 });

    stack = await startStack();
    // Same demo directory; a fresh token, and the previous one no longer works.
    const demo = demoConnection(stack.output());
    expect(demo.endpointUrl).toBe(firstDemo?.endpointUrl);
    expect(demo.bearerToken).not.toBe(firstDemo?.bearerToken);
    const withToken = (token: string) => fetch(`${demo.endpointUrl}/Users`, { headers: { authorization: `Bearer ${token}` } });
    expect((await withToken(demo.bearerToken)).status).toBe(200);
    expect((await withToken(firstDemo?.bearerToken ?? '')).status).toBe(401);
    const again = await dbClient();
    const rows = await again.query('SELECT note FROM e2e_marker');
    await again.end();
    expect(rows.rows).toEqual([{ note: 'kept across restarts' }]);
  });

  it('leaves no PostgreSQL, Kafka or service process behind even when the start script is killed with SIGKILL', async () => {
    if (!stack?.child.pid) throw new Error('stack not started');
    const tree = descendantsOf(stack.child.pid);
    const script = tree.find((p) => p.cmdline.includes('tools/scripts/start.ts') && p.cmdline.includes('loader'));
    expect(script).toBeDefined();
    process.kill(script!.pid, 'SIGKILL');
    await waitFor('watchdogs to stop the orphans', async () => {
      const left = leftovers(tree);
      if (left.length > 0) throw new Error(left.map((p) => `${p.pid} ${p.cmdline.slice(0, 120)}`).join('\n'));
    }, { timeoutMs: 45_000, intervalMs: 500 });
    await waitForExit(stack.child);
  });
});
