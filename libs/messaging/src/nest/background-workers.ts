import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

/** Anything a service runs next to its HTTP API: outbox relays, projection runners. */
export interface BackgroundWorker {
  readonly workerName: string;
  migrate(): Promise<void>;
  start(): Promise<void> | void;
  stop(): Promise<void>;
}

export const BACKGROUND_WORKERS = Symbol.for('scimbridge:background-workers');

/**
 * Nest lifecycle for background workers: their tables are migrated and they start once the app has
 * bootstrapped. They stop (draining in-flight work) after the HTTP server has closed — so whatever the
 * last requests stored is still theirs to handle, e.g. the relay publishes it — and before the shared
 * connections close (Nest runs the app module's shutdown hooks before those of the global service-kit
 * modules). Provide the workers under BACKGROUND_WORKERS (an array) next to this host.
 */
@Injectable()
export class BackgroundWorkersHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('BackgroundWorkers');
  private started: BackgroundWorker[] = [];

  constructor(@Inject(BACKGROUND_WORKERS) private readonly workers: readonly BackgroundWorker[]) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const worker of this.workers) {
      await worker.migrate();
      await worker.start();
      this.started.push(worker);
      this.logger.log(`${worker.workerName} started`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    // Reverse order: consumers of what earlier workers produce stop first.
    const running = [...this.started].reverse();
    this.started = [];
    for (const worker of running) {
      await worker.stop();
      this.logger.log(`${worker.workerName} stopped`);
    }
  }
}
