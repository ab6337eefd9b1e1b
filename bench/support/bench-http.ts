import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool as UndiciPool, type Dispatcher } from 'undici';

/*
 * What every end-to-end benchmark under bench/ needs: an HTTP client with keep-alive connections to one
 * service, the percentile and millisecond formatting of the results, progress lines on stderr, and the
 * ending every bench shares (results file, stopping its stack, failing with code 1).
 */

export interface Reply {
  readonly status: number;
  readonly body: string;
  /** Time from sending the request to having read the whole answer. */
  readonly ms: number;
}

/** Keep-alive HTTP/1.1 (undici) to one service, with a bearer credential per call. */
export class BenchHttp {
  private readonly pool: UndiciPool;

  constructor(
    readonly url: string,
    private readonly accept = 'application/json',
  ) {
    this.pool = new UndiciPool(url, { connections: 32 });
  }

  async send(method: string, path: string, auth: string, body?: unknown): Promise<Reply> {
    const headers: Record<string, string> = { authorization: `Bearer ${auth}`, accept: this.accept };
    if (body !== undefined) headers['content-type'] = this.accept;
    const started = performance.now();
    const res = await this.pool.request({ method: method as Dispatcher.HttpMethod, path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.statusCode, body: await res.body.text(), ms: performance.now() - started };
  }

  /** The parsed answer of a 2xx; anything else throws with the answer in the message. */
  async ok<T>(method: string, path: string, auth: string, body?: unknown): Promise<T> {
    const reply = await this.send(method, path, auth, body);
    if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.body.slice(0, 500)}`);
    return (reply.body === '' ? undefined : JSON.parse(reply.body)) as T;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The p-th percentile of an ascending list (nearest rank). */
export const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Milliseconds with two decimals below 10, one above. */
export const ms = (n: number): string => (n < 10 ? n.toFixed(2) : n.toFixed(1));

/** A progress line on stderr (results go to the results file). */
export const say = (line: string): void => void process.stderr.write(`${line}\n`);

/** Writes `bench/results/<name>.md` (header lines, then result lines) under the repository root. */
export function writeBenchResults(root: string, name: string, lines: readonly string[]): void {
  writeFileSync(join(root, 'bench', 'results', `${name}.md`), `${lines.join('\n')}\n`);
  say(`wrote bench/results/${name}.md`);
}

/**
 * A bench's last step: its services (each stopped, a failure ignored), then PostgreSQL and Kafka, then
 * its data folder.
 */
export async function stopBenchStack(infra: { stop(): Promise<void> }, dataRoot: string, services: readonly ({ stop(): Promise<unknown> } | undefined)[]): Promise<void> {
  for (const service of services) await service?.stop().catch(() => undefined);
  await infra.stop();
  rmSync(dataRoot, { recursive: true, force: true });
}

/** Runs a bench's `main`; a failure is printed with its stack and ends the process with code 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  });
}
