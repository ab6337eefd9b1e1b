import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BackgroundWorker } from '../nest/background-workers';

/** Log lines of the thread, written by the owning thread's logger. */
export interface ThreadLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What a module run by ThreadedWorker builds inside the thread: a BackgroundWorker, optionally wakeable. */
export interface ThreadWorker extends BackgroundWorker {
  /** Something happened in the owning thread that this worker waits for (e.g. an append to its store). */
  wake?(): void;
  /** Releases the thread's own connections after `stop` (the thread then ends). */
  close?(): Promise<void>;
}

/** A module for ThreadedWorker exports `createThreadWorker` with this signature. */
export type ThreadWorkerFactory<D> = (data: D, log: ThreadLogger) => ThreadWorker;

export interface ThreadedWorkerOptions<D> {
  readonly workerName: string;
  /**
   * Absolute path of the module that exports `createThreadWorker`, with this file's extension: `.ts`
   * when running from source (the thread then loads it through @swc-node/register), `.js` when built.
   */
  readonly module: string;
  /** Passed to `createThreadWorker` (structured-cloned: plain data only, no functions or secrets to log). */
  readonly data: D;
  readonly logger: ThreadLogger;
  /** Subscribes to the owning thread's wake-up signal (returns the unsubscribe); forwarded to `wake()`. */
  readonly wakeUps?: (wake: () => void) => () => void;
  /** Pause before a thread that died unexpectedly is started again. */
  readonly restartDelayMs?: number;
}

/** What `/health/ready` shows of a ThreadedWorker (ReadinessChecks in service-kit). */
export interface ThreadedWorkerStatus {
  /** `restarting`: the thread died and is being started again (events wait in the store meanwhile). */
  readonly state: 'not started' | 'running' | 'restarting' | 'stopped';
  /** Times the thread died since this process started. */
  readonly unexpectedExits: number;
  /** Failed attempts to start it again since it last ran. */
  readonly failedRestarts: number;
  readonly lastFailure: string | null;
}

type Op = 'migrate' | 'start' | 'stop';
type FromThread = { kind: 'done'; id: number; error?: string } | { kind: 'log'; level: keyof ThreadLogger; message: string };

/** A stop that has not finished by then (e.g. a produce request to a dead broker) is cut short. */
const STOP_TIMEOUT_MS = 15_000;
/** Wake-ups are forwarded this much later, together. */
const WAKE_INTERVAL_MS = 5;
const ENTRY = join(__dirname, `thread-entry${extname(__filename)}`);

/**
 * Runs a BackgroundWorker in a worker thread, so its CPU stays off the thread that serves HTTP. The
 * ingress runs its outbox relay this way: encoding Kafka produce requests (kafkajs) and reading events
 * back took a quarter of its user-create throughput when they shared the HTTP thread
 * (docs/benchmarks.md).
 *
 * The thread has its own connections (it builds them in `createThreadWorker` from `data`). Wake-ups of
 * the owning thread are forwarded at most once per 5 ms. A thread that dies
 * unexpectedly is logged and started again (the worker's own state — e.g. the relay's checkpoint in
 * PostgreSQL — decides where it resumes).
 */
export class ThreadedWorker<D> implements BackgroundWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { op: Op; resolve: () => void; reject: (error: Error) => void }>();
  private nextCallId = 1;
  private unsubscribe: (() => void) | undefined;
  private wakePosted = false;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private failedRestarts = 0;
  private state: ThreadedWorkerStatus['state'] = 'not started';
  private unexpectedExits = 0;
  private lastFailure: string | null = null;

  constructor(private readonly options: ThreadedWorkerOptions<D>) {}

  get workerName(): string {
    return `${this.options.workerName} (worker thread)`;
  }

  async migrate(): Promise<void> {
    await this.call('migrate');
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.call('start');
    this.state = 'running';
    this.unsubscribe ??= this.options.wakeUps?.(() => this.forwardWake());
  }

  status(): ThreadedWorkerStatus {
    return { state: this.state, unexpectedExits: this.unexpectedExits, failedRestarts: this.failedRestarts, lastFailure: this.lastFailure };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.state = 'stopped';
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const worker = this.worker;
    if (!worker) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${STOP_TIMEOUT_MS} ms`)), STOP_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.call('stop'), timeout]);
    } catch (error) {
      this.options.logger.warn(`${this.workerName} did not stop cleanly: ${(error as Error).message}`);
    }
    clearTimeout(timer);
    // Stopped and its connections closed (or failing to): nothing of it is needed any more.
    await worker.terminate();
  }

  /**
   * At most one wake-up message per WAKE_INTERVAL_MS: a message costs the owning thread a few µs, and a
   * relay batches what arrives within its own coalescing window anyway (a message per loop turn took
   * 1.7% of the HTTP thread at 1,100 creates/s).
   */
  private forwardWake(): void {
    if (this.wakePosted || !this.worker) return;
    this.wakePosted = true;
    setTimeout(() => {
      this.wakePosted = false;
      this.worker?.postMessage({ kind: 'wake' });
    }, WAKE_INTERVAL_MS);
  }

  private call(op: Op): Promise<void> {
    const worker = this.worker ?? this.spawn();
    const id = this.nextCallId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { op, resolve, reject });
      worker.postMessage({ kind: op, id });
    });
  }

  /**
   * After a thread died: a new one, migrated and started, retried with a growing pause (1×, 2×, 4×… the
   * restart delay, at most 30 s) until it runs or the worker is stopped. Events wait in the store
   * meanwhile; each failed attempt is an error line. One attempt is scheduled at a time.
   */
  private scheduleRestart(): void {
    if (this.stopping || this.restartTimer !== undefined) return;
    const delay = Math.min((this.options.restartDelayMs ?? 1_000) * 2 ** this.failedRestarts, 30_000);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      void this.call('migrate')
        .then(() => (this.stopping ? undefined : this.call('start')))
        .then(
          () => {
            if (this.stopping) return;
            this.failedRestarts = 0;
            this.state = 'running';
            this.options.logger.info(`${this.workerName} running again`);
          },
          async (error: Error) => {
            if (this.stopping) return;
            this.failedRestarts += 1;
            this.lastFailure = `did not start again: ${error.message}`;
            this.options.logger.error(`${this.workerName} did not start again (attempt ${this.failedRestarts}): ${error.message}; retrying`);
            // A thread left half-started is replaced, not reused (its exit is then not a crash).
            const stale = this.worker;
            this.worker = undefined;
            await stale?.terminate();
            this.scheduleRestart();
          },
        );
    }, delay);
  }

  private spawn(): Worker {
    const fromSource = extname(ENTRY) === '.ts';
    const worker = new Worker(ENTRY, {
      workerData: { module: this.options.module, data: this.options.data },
      execArgv: fromSource ? ['--require', '@swc-node/register'] : [],
    });
    this.worker = worker;
    worker.on('message', (message: FromThread) => {
      if (message.kind === 'log') {
        this.options.logger[message.level](message.message);
        return;
      }
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error === undefined) waiter?.resolve();
      else waiter?.reject(new Error(`${this.workerName} ${waiter?.op ?? 'call'} failed: ${message.error}`));
    });
    worker.on('error', (error) => this.options.logger.error(`${this.workerName} failed: ${error.stack ?? error.message}`));
    worker.on('exit', (code) => {
      const current = this.worker === worker;
      if (current) this.worker = undefined;
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${this.workerName} exited (code ${code}) during ${waiter.op}`));
      this.pending.clear();
      if (this.stopping || !current) return;
      this.state = 'restarting';
      this.unexpectedExits += 1;
      this.lastFailure = `exited unexpectedly (code ${code})`;
      this.options.logger.error(`${this.workerName} exited unexpectedly (code ${code}); starting it again`);
      this.scheduleRestart();
    });
    return worker;
  }
}
