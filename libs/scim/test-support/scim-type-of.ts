import { ScimError } from '../src/errors/scim.error';

/** The scimType of the ScimError that `attempt` throws, undefined if it throws none; other errors rethrow. */
export function scimTypeOf(attempt: () => unknown): string | undefined {
  try {
    attempt();
  } catch (error) {
    if (error instanceof ScimError) return error.scimType;
    throw error;
  }
  return undefined;
}
