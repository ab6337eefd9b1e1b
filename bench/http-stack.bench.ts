/**
 * What the HTTP stack alone costs per SCIM-shaped request on this machine: a JSON POST of a OneLogin-
 * sized user answered with the user plus id/meta (201), served by
 *   - plain node:http (read body, JSON.parse, JSON.stringify, one write),
 *   - a NestJS controller on Express (what the services use),
 *   - the same controller on Fastify (@nestjs/platform-fastify).
 * No database, no SCIM logic: the difference between the rows is framework overhead, to set against the
 * ingress's ~0.75 ms of CPU per create (docs/benchmarks.md).
 *
 * Each server runs in its own child process (this file with `--serve <kind>`); the load generator is an
 * undici Pool with 16 concurrent requests. Server CPU per request comes from /proc/<pid>/stat.
 *
 *   npx tsx bench/http-stack.bench.ts [seconds-per-run=5] [rounds=2]
 */
import 'reflect-metadata';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Pool } from 'undici';

const KINDS = ['node:http', 'nest+express', 'nest+fastify'] as const;
type Kind = (typeof KINDS)[number];
const CONCURRENCY = 16;
const PATH = '/directory/d1/scim/v2/Users';
const BODY = JSON.stringify({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
  userName: 'Jane.Doe.000001@example.com',
  externalId: 'ol-Jane.Doe.000001@example.com',
  name: { givenName: 'Jane', familyName: 'Doe', formatted: '' },
  emails: { value: 'Jane.Doe.000001@example.com', type: 'work', primary: true },
  active: 'true',
  title: '',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Sales', manager: { managerId: '', displayName: '' } },
  customAppField: 'kept beside the resource',
});

const created = (body: unknown): Record<string, unknown> => ({
  ...(body as Record<string, unknown>),
  id: '0b9f7c1e-2f4c-4b8e-9d0a-3c1e5f7a9b2d',
  meta: { resourceType: 'User', created: '2026-11-29T00:00:00.000Z', lastModified: '2026-11-29T00:00:00.000Z', version: 'W/"1"' },
});

// Decorators applied as functions: the bench runs under tsx (esbuild), which emits no decorator metadata.
class UsersController {
  create(body: unknown): Record<string, unknown> {
    return created(body);
  }
}
Body()(UsersController.prototype, 'create', 0);
Post(':type')(UsersController.prototype, 'create', Object.getOwnPropertyDescriptor(UsersController.prototype, 'create') as PropertyDescriptor);
Controller('directory/:directoryId/scim/v2')(UsersController);
class BenchModule {}
Module({ controllers: [UsersController] })(BenchModule);

async function serve(kind: Kind): Promise<number> {
  if (kind === 'node:http') {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const out = JSON.stringify(created(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        res.writeHead(201, { 'content-type': 'application/scim+json; charset=utf-8', 'content-length': Buffer.byteLength(out) });
        res.end(out);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }
  const app: INestApplication = await NestFactory.create(BenchModule, kind === 'nest+fastify' ? new FastifyAdapter() : new ExpressAdapter(), { logger: false });
  if (kind === 'nest+fastify') {
    // Fastify answers 415 to media types it has no parser for; SCIM's is one of them.
    const fastify = (app.getHttpAdapter() as FastifyAdapter).getInstance();
    fastify.addContentTypeParser('application/scim+json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(String(body)));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
  } else {
    // Express's JSON parser only reads application/json by default.
    app.use((await import('body-parser')).json({ type: () => true }));
  }
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (1/100 s)
}

async function load(port: number, seconds: number): Promise<{ requests: number; failed: number }> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY });
  let requests = 0;
  let failed = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const res = await pool.request({ method: 'POST', path: PATH, headers: { 'content-type': 'application/scim+json' }, body: BODY });
        const text = await res.body.text();
        if (res.statusCode !== 201 || !text.includes('"W/\\"1\\""')) failed += 1;
        requests += 1;
      }
    }),
  );
  await pool.close();
  return { requests, failed };
}

async function main(): Promise<void> {
  const numbers = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
  const seconds = numbers[0] ?? 5;
  const rounds = numbers[1] ?? 2;
  const rows: string[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    for (const kind of KINDS) {
      const child = fork(__filename, ['--serve', kind], { execArgv: process.execArgv });
      const port = await new Promise<number>((resolve, reject) => {
        child.once('message', (m) => resolve(Number(m)));
        child.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
      });
      await load(port, 1); // warm-up
      const before = cpuTicks(child.pid as number);
      const { requests, failed } = await load(port, seconds);
      const cpuMs = (cpuTicks(child.pid as number) - before) * 10;
      child.kill('SIGTERM');
      const line = `| ${round} | ${kind} | ${(requests / seconds).toFixed(0)} | ${((cpuMs / requests) * 1000).toFixed(0)} | ${failed} |`;
      process.stderr.write(`${line}\n`);
      rows.push(line);
    }
  }
  process.stdout.write(
    ['', `HTTP stack, ${seconds} s per run, concurrency ${CONCURRENCY}, ${new Date().toISOString().slice(0, 10)}:`, '', '| round | server | req/s | server CPU µs/request | failed |', '|---:|---|---:|---:|---:|', ...rows, ''].join('\n'),
  );
}

const serveIndex = process.argv.indexOf('--serve');
if (serveIndex >= 0) {
  void serve(process.argv[serveIndex + 1] as Kind).then((port) => process.send?.(port));
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
