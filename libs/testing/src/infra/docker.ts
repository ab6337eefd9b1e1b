import { existsSync } from 'node:fs';

/**
 * Whether testcontainers can start containers here. The cheap checks come first so machines without
 * Docker (ours and CI) do not pay for testcontainers' full runtime discovery.
 */
export async function dockerAvailable(): Promise<boolean> {
  if (process.env['SCIMBRIDGE_NO_DOCKER'] === '1') return false;
  const hasHint =
    Boolean(process.env['DOCKER_HOST']) ||
    existsSync('/var/run/docker.sock') ||
    (process.env['HOME'] !== undefined && existsSync(`${process.env['HOME']}/.docker/run/docker.sock`));
  if (!hasHint) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    return Boolean(client.info.containerRuntime);
  } catch {
    return false;
  }
}
