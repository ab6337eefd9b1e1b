import { directoryStatus } from './directory-status';

describe('directory status', () => {
  it('waits for the first request until the IdP sends anything', () => {
    expect(directoryStatus({ enabled: true, synced: false })).toBe('waiting_for_first_request');
    expect(directoryStatus({ enabled: true, synced: false, lastRequest: { status: 200 } })).toBe('connected');
    expect(directoryStatus({ enabled: true, synced: true })).toBe('connected');
  });

  it('is in error when the newest request failed, but not for a lookup miss or a create conflict', () => {
    for (const status of [400, 401, 403, 412, 429, 500, 503]) expect(directoryStatus({ enabled: true, synced: true, lastRequest: { status } })).toBe('error');
    for (const status of [200, 201, 204, 404, 409]) expect(directoryStatus({ enabled: true, synced: true, lastRequest: { status } })).toBe('connected');
  });

  it('is disabled whatever else holds', () => {
    expect(directoryStatus({ enabled: false, synced: true, lastRequest: { status: 500 } })).toBe('disabled');
    expect(directoryStatus({ enabled: false, synced: false })).toBe('disabled');
  });
});
