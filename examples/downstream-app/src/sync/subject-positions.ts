import type { EntityManager } from 'typeorm';

/*
 * The last `sequence` applied per event stream (the envelope's `subject`). Always read and written inside
 * the transaction that applies the event.
 */

/** Locks the subject's row (creating it at 0) and returns its sequence: concurrent deliveries queue here. */
export async function lockPosition(db: EntityManager, subject: string, eventId: string): Promise<number> {
  await db.query(
    `INSERT INTO subject_positions (subject, sequence, event_id, applied_at) VALUES ($1, 0, $2, now())
     ON CONFLICT (subject) DO NOTHING`,
    [subject, eventId],
  );
  const rows = (await db.query('SELECT sequence FROM subject_positions WHERE subject = $1 FOR UPDATE', [subject])) as { sequence: string }[];
  return Number(rows[0]?.sequence ?? 0);
}

/** Records `sequence` as applied (never moving backwards). */
export async function advancePosition(db: EntityManager, subject: string, sequence: number, eventId: string): Promise<void> {
  await db.query(
    `UPDATE subject_positions SET sequence = $2, event_id = $3, applied_at = now() WHERE subject = $1 AND sequence < $2`,
    [subject, sequence, eventId],
  );
}
