/**
 * JSON Schema documents (draft 2020-12) as plain objects, so they ship inside the package and need no
 * file access at run time.
 */
export type JsonSchema = { readonly [keyword: string]: unknown };

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** e.g. `urn:scimbridge:events:UserProvisioned:v1`; it is also the envelope's `dataschema`. */
export function schemaIdFor(type: string, version: number): string {
  return `urn:scimbridge:events:${type}:v${version}`;
}

const SCHEMA_ID = /^urn:scimbridge:events:([A-Z][A-Za-z0-9]*):v([1-9][0-9]*)$/;

export function parseSchemaId(id: string): { type: string; version: number } | null {
  const match = SCHEMA_ID.exec(id);
  if (!match) return null;
  return { type: match[1] as string, version: Number(match[2]) };
}
