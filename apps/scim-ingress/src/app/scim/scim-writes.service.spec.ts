import { ConcurrencyError, type PostgresEventStore } from '@scimbridge/event-store';
import { ScimError } from '@scimbridge/scim';
import type { ResourcesRepository } from '../persistence/resources.repository';
import { ScimWritesService } from './scim-writes.service';

// The retry policy alone: a store whose every transaction loses its race (the real store and its
// conflicts are exercised against PostgreSQL in src/test/concurrency.int.spec.ts).
describe('ScimWritesService retries', () => {
  const ctx = { directoryId: 'd1', organizationId: 'o1', provider: 'generic', tokenId: 't1', requestId: 'r1', baseUrl: 'http://x/scim/v2' } as const;

  it('retries a conflicting write 8 times, then answers 503 (the IdP sends it again), never 500', async () => {
    let attempts = 0;
    const store = {
      withTransaction: async () => {
        attempts += 1;
        throw new ConcurrencyError('directory_group:d1:g1', 3, 3);
      },
    } as unknown as PostgresEventStore;
    const writes = new ScimWritesService(store, {} as ResourcesRepository);
    const outcome = writes.deleteGroup(ctx, 'g1', undefined);
    await expect(outcome).rejects.toBeInstanceOf(ScimError);
    await expect(outcome).rejects.toMatchObject({ status: 503 });
    expect(attempts).toBe(8);
  });

  it('does not retry other failures', async () => {
    let attempts = 0;
    const store = {
      withTransaction: async () => {
        attempts += 1;
        throw new Error('connection refused');
      },
    } as unknown as PostgresEventStore;
    await expect(new ScimWritesService(store, {} as ResourcesRepository).deleteGroup(ctx, 'g1', undefined)).rejects.toThrow('connection refused');
    expect(attempts).toBe(1);
  });
});
