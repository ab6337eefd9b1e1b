import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_TYPES } from '../event-catalog';
import { parseEnvelope } from '../event-envelope';
import { EVENTS_DOC_PATH, GENERATE_COMMAND, renderEventsDoc } from './events-doc';

const onDisk = readFileSync(join(__dirname, '..', '..', '..', '..', EVENTS_DOC_PATH), 'utf8');
const jsonBlocks = [...onDisk.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1] as string) as Record<string, unknown>);
const messages = jsonBlocks.filter((block) => block['specversion'] !== undefined);

describe(EVENTS_DOC_PATH, () => {
  it(`is what the code renders (regenerate with: ${GENERATE_COMMAND})`, () => {
    expect(onDisk === renderEventsDoc()).toBe(true);
  });

  it('has a section and an example message for every event type', () => {
    for (const type of EVENT_TYPES) expect(onDisk).toContain(`\n### ${type}\n`);
    expect(new Set(messages.map((m) => m['type']))).toEqual(new Set(EVENT_TYPES));
  });

  it.each(messages.map((m) => [m['type'], m] as const))('its %s example message is accepted by parseEnvelope', (_type, message) => {
    const result = parseEnvelope(JSON.stringify(message));
    expect(result.ok ? 'ok' : result.error).toBe('ok');
  });
});
