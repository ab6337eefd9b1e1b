import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { ProbeData } from './fixtures/probe.thread-module';
import { ThreadedWorker, type ThreadedWorkerStatus } from './threaded-worker';

/*
 * ThreadedWorker with a real worker thread (the probe module is TypeScript, loaded in the thread through
 * @swc-node/register as in `npm start`): lifecycle calls run in the thread, wake-ups are forwarded
 * (coalesced), failures come back as rejections, and a thread that dies is started again.
 */

const PROBE = join(__dirname, 'fixtures/probe.thread-module.ts');

function harness(data: ProbeData) {
  const lines: string[] = [];
  /** The worker's status when each error line was written. */
  const statusAtError: ThreadedWorkerStatus[] = [];
  const signal = new EventEmitter();
  const worker: ThreadedWorker<ProbeData> = new ThreadedWorker({
    workerName: `probe ${data.tag}`,
    module: PROBE,
    data,
    logger: {
      info: (m) => lines.push(m),
      warn: (m) => lines.push(`WARN ${m}`),
      error: (m) => {
        lines.push(`ERROR ${m}`);
        statusAtError.push(worker.status());
      },
    },
    wakeUps: (wake) => {
      signal.on('wake', wake);
      return () => signal.off('wake', wake);
    },
    restartDelayMs: 50,
  });
  return { worker, lines, statusAtError, wake: () => signal.emit('wake') };
}

/** Starts the probe's thread, then makes it die (its first wake-up exits the thread with code 3). */
async function startThenCrash({ worker, lines, wake }: ReturnType<typeof harness>): Promise<void> {
  await worker.migrate();
  await worker.start();
  wake();
  await until(() => lines.some((l) => l.includes('exited unexpectedly (code 3)')), 'the crash to be noticed');
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('runs migrate, start and stop in another thread and forwards wake-ups, several per message', async () => {
  const { worker, lines, wake } = harness({ tag: 'a' });
  expect(worker.status().state).toBe('not started');
  await worker.migrate();
  await worker.start();
  expect(worker.status()).toEqual({ state: 'running', unexpectedExits: 0, failedRestarts: 0, lastFailure: null });
  const started = lines.find((l) => l.startsWith('start a in thread '));
  expect(started).toBeDefined();
  expect(Number(started?.split(' ').pop())).not.toBe(threadId);
  for (let i = 0; i < 50; i++) wake();
  await until(() => lines.some((l) => l.startsWith('wake ')), 'a wake-up');
  await new Promise((r) => setTimeout(r, 50));
  // Fifty signals in one turn arrive as one wake-up, not fifty.
  expect(lines.filter((l) => l.startsWith('wake ')).length).toBe(1);
  await worker.stop();
  expect(worker.status().state).toBe('stopped');
  expect(lines.slice(-2)).toEqual(['stop a', 'close']);
}, 30_000);

it("reports a failing migrate as the caller's rejection", async () => {
  const { worker } = harness({ tag: 'b', failMigrate: true });
  await expect(worker.migrate()).rejects.toThrow(/migrate failed: no tables for you/);
  await worker.stop();
}, 30_000);

it('starts a thread that died again, migrate and start included', async () => {
  const probe = harness({ tag: 'c', exitOnWake: true });
  const { worker, lines } = probe;
  await startThenCrash(probe);
  await until(() => lines.filter((l) => l.startsWith('start c')).length === 2, 'the restart');
  expect(lines.filter((l) => l.startsWith('migrate c')).length).toBe(2);
  await worker.stop();
}, 30_000);

it('keeps trying to start a dead thread again, with growing pauses, until it runs', async () => {
  const migrateCalls = new Int32Array(new SharedArrayBuffer(4));
  const probe = harness({ tag: 'd', exitOnWake: true, migrateCalls, failMigrateCalls: [2, 3] });
  const { worker, lines, statusAtError } = probe;
  await startThenCrash(probe);
  await until(() => lines.includes('probe d (worker thread) running again'), 'the restart to succeed');
  // Between the crash and the restart that worked, the status said so (what /health/ready shows).
  expect(statusAtError.map((s) => [s.state, s.unexpectedExits, s.failedRestarts, s.lastFailure?.replace(/:.*/, '')])).toEqual([
    ['restarting', 1, 0, 'exited unexpectedly (code 3)'],
    ['restarting', 1, 1, 'did not start again'],
    ['restarting', 1, 2, 'did not start again'],
  ]);
  expect(worker.status()).toMatchObject({ state: 'running', unexpectedExits: 1, failedRestarts: 0 });
  expect(lines.filter((l) => l.includes('did not start again')).map((l) => l.replace(/.*\(attempt (\d)\).*/, '$1'))).toEqual(['1', '2']);
  expect(Atomics.load(migrateCalls, 0)).toBe(4);
  expect(lines.filter((l) => l.startsWith('start d')).length).toBe(2);
  await worker.stop();
}, 30_000);

it('does not start a thread again once stopped, even while a restart is pending', async () => {
  const probe = harness({ tag: 'e', exitOnWake: true });
  const { worker, lines } = probe;
  await startThenCrash(probe);
  await worker.stop();
  await new Promise((r) => setTimeout(r, 300));
  expect(lines.filter((l) => l.startsWith('start e')).length).toBe(1);
  expect(lines.filter((l) => l.startsWith('ERROR') && !l.includes('exited unexpectedly'))).toEqual([]);
}, 30_000);
