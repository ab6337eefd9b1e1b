import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Spawns a detached watchdog that stops the given processes as soon as `ownerPid` is gone. Normal
 * shutdown stops them first; this only matters when the owner dies without cleaning up (SIGKILL,
 * a crashed jest worker), which must still leave no server behind.
 */
export function guardProcesses(
  targets: ReadonlyArray<{ pid: number; signal: NodeJS.Signals }>,
  ownerPid: number = process.pid,
): void {
  const watchdog = spawn(
    process.execPath,
    [join(__dirname, 'watchdog.cjs'), String(ownerPid), ...targets.map((t) => `${t.pid}:${t.signal}`)],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
}

/** Sends `signal` and resolves once the process is gone (SIGKILL after `graceMs`). */
export async function terminate(pid: number, signal: NodeJS.Signals, graceMs = 20_000): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, signal);
  const deadline = Date.now() + graceMs;
  while (alive()) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The command line of a live process, or '' (a reused PID must never make us stop a stranger). */
export async function commandLineOf(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    return '';
  }
}
