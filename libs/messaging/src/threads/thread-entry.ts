import { parentPort, workerData } from 'node:worker_threads';
import type { ThreadLogger, ThreadWorker, ThreadWorkerFactory } from './threaded-worker';

/*
 * The code a ThreadedWorker's thread runs: loads the worker module, builds the worker, and answers the
 * owning thread's migrate/start/stop/wake messages. Log lines go back to the owning thread's logger.
 */

type Op = 'migrate' | 'start' | 'stop';
interface Message {
  readonly kind: Op | 'wake';
  /** Which call of the owning thread this answers. */
  readonly id?: number;
}

const port = parentPort;
if (!port) throw new Error('thread-entry runs only in a worker thread (started by ThreadedWorker)');
// (not `module`: that name is taken in a CommonJS module's scope)
const { module: modulePath, data } = workerData as { module: string; data: unknown };

const log: ThreadLogger = {
  info: (message) => port.postMessage({ kind: 'log', level: 'info', message }),
  warn: (message) => port.postMessage({ kind: 'log', level: 'warn', message }),
  error: (message) => port.postMessage({ kind: 'log', level: 'error', message }),
};

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is named at run time
const { createThreadWorker } = require(modulePath) as { createThreadWorker: ThreadWorkerFactory<unknown> };
const worker: ThreadWorker = createThreadWorker(data, log);

async function run(op: Op): Promise<void> {
  if (op === 'migrate') await worker.migrate();
  else if (op === 'start') await worker.start();
  else {
    await worker.stop();
    await worker.close?.();
  }
}

port.on('message', (message: Message) => {
  if (message.kind === 'wake') {
    worker.wake?.();
    return;
  }
  const { kind: op, id } = message;
  run(op).then(
    () => port.postMessage({ kind: 'done', id }),
    (error: unknown) => port.postMessage({ kind: 'done', id, error: error instanceof Error ? error.message : String(error) }),
  );
});
