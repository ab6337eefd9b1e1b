#!/usr/bin/env node
// Stops infrastructure processes when the process that owns them dies, even by SIGKILL, so a killed
// `npm start` or jest run never leaves a PostgreSQL or Kafka server behind.
// Usage: watchdog.cjs <ownerPid> <pid>:<signal> [<pid>:<signal> ...]
// Plain CommonJS with no dependencies: it is spawned detached and must start in milliseconds.
'use strict';
const [ownerArg, ...targetArgs] = process.argv.slice(2);
const owner = Number(ownerArg);
const targets = targetArgs.map((arg) => {
  const [pid, signal] = arg.split(':');
  return { pid: Number(pid), signal: signal || 'SIGTERM' };
});

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const stopTargets = () => {
  for (const t of targets) if (alive(t.pid)) process.kill(t.pid, t.signal);
  const deadline = Date.now() + 15000;
  const poll = setInterval(() => {
    const left = targets.filter((t) => alive(t.pid));
    if (left.length === 0) {
      clearInterval(poll);
      process.exit(0);
    }
    if (Date.now() > deadline) {
      for (const t of left) process.kill(t.pid, 'SIGKILL');
      clearInterval(poll);
      process.exit(0);
    }
  }, 200);
};

const watch = setInterval(() => {
  if (targets.every((t) => !alive(t.pid))) {
    clearInterval(watch);
    process.exit(0);
  }
  if (!alive(owner)) {
    clearInterval(watch);
    stopTargets();
  }
}, 500);
