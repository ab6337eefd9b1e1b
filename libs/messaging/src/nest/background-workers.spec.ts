import { Test } from '@nestjs/testing';
import { BACKGROUND_WORKERS, BackgroundWorkersHost, type BackgroundWorker } from './background-workers';

describe('BackgroundWorkersHost', () => {
  it('migrates and starts workers in order when the app boots, and stops them in reverse before shutdown', async () => {
    const calls: string[] = [];
    const worker = (name: string): BackgroundWorker => ({
      workerName: name,
      migrate: async () => void calls.push(`${name}.migrate`),
      start: () => void calls.push(`${name}.start`),
      stop: async () => void calls.push(`${name}.stop`),
    });
    const moduleRef = await Test.createTestingModule({
      providers: [{ provide: BACKGROUND_WORKERS, useValue: [worker('relay'), worker('projection')] }, BackgroundWorkersHost],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    expect(calls).toEqual(['relay.migrate', 'relay.start', 'projection.migrate', 'projection.start']);
    await app.close();
    expect(calls.slice(4)).toEqual(['projection.stop', 'relay.stop']);
  });
});
