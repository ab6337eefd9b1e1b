import type { QueryRunner } from 'typeorm';

/** The schemas of every read-model generation that exists, oldest first: what a shape migration changes. */
export async function generationSchemas(runner: QueryRunner): Promise<string[]> {
  const rows = (await runner.query(
    `SELECT g.schema_name FROM read_model_generations AS g JOIN pg_namespace AS n ON n.nspname = g.schema_name ORDER BY g.generation`,
  )) as { schema_name: string }[];
  return rows.map((r) => r.schema_name);
}
