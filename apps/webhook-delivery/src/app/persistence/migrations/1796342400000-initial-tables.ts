import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The service's tables. Plain names: the connection's search_path is `webhook_delivery`. */
export class InitialTables1796342400000 implements MigrationInterface {
  readonly name = 'InitialTables1796342400000';

  async up(runner: QueryRunner): Promise<void> {
    // Directories (and so organizations) as the topics named them: every envelope carries both ids.
    await runner.query(`
      CREATE TABLE known_directories (
        directory_id text PRIMARY KEY,
        organization_id text NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX known_directories_organization_idx ON known_directories (organization_id)');
    // Organizations confirmed with the ingress before they had a directory.
    await runner.query(`CREATE TABLE known_organizations (organization_id text PRIMARY KEY)`);
    await runner.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        organization_id text NOT NULL,
        url text NOT NULL,
        description text,
        event_types text[] NOT NULL DEFAULT '{}',
        enabled boolean NOT NULL DEFAULT true,
        secret_sealed text NOT NULL,
        secret_rotated_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await runner.query('CREATE INDEX webhook_endpoints_organization_idx ON webhook_endpoints (organization_id, created_at, id)');
    // Every event of the three topics, in the order this service stored them (position: see the
    // fan-out projection for why positions commit in order). body is the envelope exactly as received.
    await runner.query(`
      CREATE TABLE events (
        position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        type text NOT NULL,
        directory_id text NOT NULL,
        organization_id text NOT NULL,
        body text NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX events_directory_idx ON events (directory_id, position)');
    await runner.query('CREATE INDEX events_organization_idx ON events (organization_id, position)');
    await runner.query('CREATE INDEX events_stored_at_idx ON events (stored_at)');
    await runner.query(`
      CREATE TABLE deliveries (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        directory_id text NOT NULL,
        event_position bigint NOT NULL REFERENCES events (position) ON DELETE CASCADE,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'dead')),
        attempts int NOT NULL DEFAULT 0,
        retry_base int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        first_attempt_at timestamptz,
        lease_token uuid,
        lease_until timestamptz,
        last_status_code int,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        UNIQUE (endpoint_id, event_id)
      )`);
    // The line: one endpoint, one directory, in seq order; only pending rows matter to the dispatcher.
    await runner.query(`CREATE INDEX deliveries_line_idx ON deliveries (endpoint_id, directory_id, seq) WHERE status = 'pending'`);
    await runner.query(`CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending'`);
    await runner.query('CREATE INDEX deliveries_log_idx ON deliveries (endpoint_id, seq DESC)');
    await runner.query('CREATE INDEX deliveries_event_idx ON deliveries (event_position)');
    await runner.query(`
      CREATE TABLE delivery_attempts (
        delivery_id uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        attempt int NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms int NOT NULL,
        status_code int,
        error text,
        response_snippet text,
        PRIMARY KEY (delivery_id, attempt)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['delivery_attempts', 'deliveries', 'events', 'webhook_endpoints', 'known_organizations', 'known_directories']) {
      await runner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
