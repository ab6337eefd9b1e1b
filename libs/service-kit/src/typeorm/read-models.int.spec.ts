import { randomUUID } from 'node:crypto';
import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Column, DataSource, Entity, PrimaryColumn, type MigrationInterface, type QueryRunner, type Repository } from 'typeorm';
import { createServiceApp, type ServiceEntry } from '../bootstrap';
import { BaseServiceConfig, loadConfig } from '../config/service-config';
import { ServiceKitModule } from '../service-kit.module';
import { schemaFor } from '../service-options';
import { migrateReadModels, MIGRATIONS_TABLE, ReadModelsModule, readModelDataSourceOptions } from './read-models.module';

// Self-contained on purpose: libs/testing depends on this library, so this spec cannot use its helpers.

@Entity({ name: 'widgets' })
class Widget {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  label!: string;
}

class CreateWidgets1700000000000 implements MigrationInterface {
  async up(runner: QueryRunner): Promise<void> {
    // Plain table names: the read-model connection's search_path is the service's schema.
    await runner.query('CREATE TABLE widgets (id uuid PRIMARY KEY, label text NOT NULL)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE widgets');
  }
}

class AddWidgetIndex1700000000001 implements MigrationInterface {
  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE INDEX widgets_label_idx ON widgets (label)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX widgets_label_idx');
  }
}

const readModels = { entities: [Widget], migrations: [CreateWidgets1700000000000, AddWidgetIndex1700000000001] };

@Controller('widgets')
class WidgetsController {
  constructor(@InjectRepository(Widget) private readonly widgets: Repository<Widget>) {}

  @Get()
  async list(): Promise<Widget[]> {
    return this.widgets.find({ order: { label: 'ASC' } });
  }
}

describe('TypeORM read models', () => {
  const config = (serviceName: string): BaseServiceConfig =>
    loadConfig(serviceName, BaseServiceConfig, { ...process.env, LOG_LEVEL: 'silent' });

  it('migrates a service schema once, even with several instances starting at the same time', async () => {
    const serviceName = `rm-${randomUUID().slice(0, 8)}`;
    const sources = Array.from({ length: 3 }, () => new DataSource(readModelDataSourceOptions(serviceName, config(serviceName), readModels)));
    try {
      await Promise.all(sources.map((s) => s.initialize()));
      const ran = await Promise.all(sources.map((s) => migrateReadModels(s)));
      // Exactly one instance ran both migrations; the others found nothing to do.
      expect(ran.map((r) => r.length).sort()).toEqual([0, 0, 2]);
      const schema = schemaFor(serviceName);
      const recorded = await (sources[0] as DataSource).query(`SELECT name FROM "${schema}".${MIGRATIONS_TABLE} ORDER BY id`);
      expect(recorded.map((r: { name: string }) => r.name)).toEqual(['CreateWidgets1700000000000', 'AddWidgetIndex1700000000001']);
      const index = await (sources[0] as DataSource).query(`SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = 'widgets_label_idx'`, [schema]);
      expect(index).toHaveLength(1);
      expect(await migrateReadModels(sources[1] as DataSource)).toEqual([]);
    } finally {
      await Promise.all(sources.map((s) => (s.isInitialized ? s.destroy() : undefined)));
    }
  });

  it('gives a service migrated tables and repositories through ReadModelsModule', async () => {
    const serviceName = `rm-${randomUUID().slice(0, 8)}`;
    @Module({})
    class ProbeModule {
      static forRoot(c: BaseServiceConfig): DynamicModule {
        return {
          module: ProbeModule,
          imports: [ServiceKitModule.forRoot({ serviceName, config: c, topics: [] }), ReadModelsModule.forRoot(readModels)],
          controllers: [WidgetsController],
        };
      }
    }
    const entry: ServiceEntry<BaseServiceConfig> = { serviceName, configClass: BaseServiceConfig, module: (c) => ProbeModule.forRoot(c) };
    const app = await createServiceApp(entry, config(serviceName));
    await app.listen(0, '127.0.0.1');
    try {
      const dataSource = app.get(DataSource);
      await dataSource.query('INSERT INTO widgets (id, label) VALUES ($1, $2), ($3, $4)', [randomUUID(), 'b', randomUUID(), 'a']);
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const body = (await (await fetch(`${url}/widgets`)).json()) as Widget[];
      expect(body.map((w) => w.label)).toEqual(['a', 'b']);
    } finally {
      await app.close();
    }
  });
});
