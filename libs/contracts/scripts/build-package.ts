/**
 * Builds the publishable `@scimbridge/contracts` package:
 *   npx tsx libs/contracts/scripts/build-package.ts [--out-dir <dir>]   (default dist/libs/contracts)
 * then `npm publish dist/libs/contracts` (or `npm pack` it). The folder holds the compiled JS and .d.ts
 * (tsc with libs/contracts/tsconfig.lib.json), every JSON Schema as a file under schemas/, package.json
 * and README.md.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ENVELOPE_SCHEMA, EVENT_CATALOG, EVENT_METADATA_SCHEMA, EVENT_TYPES } from '../src/index';

const libRoot = resolve(__dirname, '..');
const workspaceRoot = resolve(libRoot, '../..');

export function buildContractsPackage(outDir: string): string {
  const out = isAbsolute(outDir) ? outDir : resolve(workspaceRoot, outDir);
  rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(libRoot, 'tsconfig.lib.json'), '--outDir', out], {
    cwd: workspaceRoot,
    stdio: 'inherit',
  });

  // The schema objects the compiled code validates with, also as files.
  const schemaDir = join(out, 'schemas');
  mkdirSync(join(schemaDir, 'events'), { recursive: true });
  const write = (file: string, schema: unknown): void => writeFileSync(join(schemaDir, file), `${JSON.stringify(schema, null, 2)}\n`);
  write('envelope.v1.json', ENVELOPE_SCHEMA);
  write('event-metadata.v1.json', EVENT_METADATA_SCHEMA);
  let count = 0;
  for (const type of EVENT_TYPES) {
    for (const [version, schema] of Object.entries(EVENT_CATALOG[type].schemas)) {
      write(`events/${type}.v${version}.json`, schema);
      count += 1;
    }
  }

  copyFileSync(join(libRoot, 'package.json'), join(out, 'package.json'));
  copyFileSync(join(libRoot, 'README.md'), join(out, 'README.md'));
  console.log(`built @scimbridge/contracts in ${out} (${count} event schemas)`);
  return out;
}

if (require.main === module) {
  const at = process.argv.indexOf('--out-dir');
  buildContractsPackage(at > 0 && process.argv[at + 1] ? process.argv[at + 1]! : 'dist/libs/contracts');
}
