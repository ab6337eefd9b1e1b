/**
 * Writes docs/events.md from the contracts' code: `npx tsx libs/contracts/scripts/generate-events-doc.ts`.
 * `--check` only compares and exits 1 when the file is stale (the unit test does the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENTS_DOC_PATH, GENERATE_COMMAND, renderEventsDoc } from '../src/docs/events-doc';

const target = join(__dirname, '..', '..', '..', EVENTS_DOC_PATH);
const rendered = renderEventsDoc();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = '';
  }
  if (current !== rendered) {
    console.error(`${EVENTS_DOC_PATH} is out of date: run ${GENERATE_COMMAND}`);
    process.exit(1);
  }
  console.log(`${EVENTS_DOC_PATH} is up to date`);
} else {
  writeFileSync(target, rendered);
  console.log(`wrote ${EVENTS_DOC_PATH}`);
}
