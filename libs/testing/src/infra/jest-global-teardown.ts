import { rm } from 'node:fs/promises';
import { stopGlobalInfrastructure } from './jest-global-setup';

export default async function globalTeardown(): Promise<void> {
  await stopGlobalInfrastructure();
  const dataRoot = process.env['SCIMBRIDGE_TEST_DATA_ROOT'];
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
}
