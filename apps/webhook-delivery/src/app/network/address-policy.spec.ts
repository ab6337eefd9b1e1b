import { classifyAddress, parseWebhookUrl, resolveWebhookTarget, UnsafeUrlError } from './address-policy';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::1', '6to4'],
    ['2001::1', 'teredo'],
    // Found in review with ipaddr.js 1.9.1, which allowed them; 2.x classifies them.
    ['198.18.0.1', 'reserved'],
    ['64:ff9b:1::a9fe:a9fe', 'rfc6052'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['::7f00:1', 'ipv4Compatible'],
  ])('refuses %s (%s)', (address, range) => {
    const verdict = classifyAddress(address);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.range).toContain(range);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8'])('allows public %s', (address) => {
    expect(classifyAddress(address)).toEqual({ allowed: true });
  });

  it('refuses what is not an address', () => {
    expect(classifyAddress('example.com').allowed).toBe(false);
    expect(classifyAddress('').allowed).toBe(false);
  });
});

describe('parseWebhookUrl', () => {
  it.each([
    ['ftp://example.com/x', 'http or https'],
    ['file:///etc/passwd', 'http or https'],
    ['javascript:alert(1)', 'http or https'],
    ['not a url', 'valid absolute URL'],
    ['https://user:pw@example.com/', 'credentials'],
  ])('refuses %s', (url, reason) => {
    expect(() => parseWebhookUrl(url)).toThrow(reason);
  });

  it('accepts http and https', () => {
    expect(parseWebhookUrl('https://example.com/hooks?a=1').hostname).toBe('example.com');
    expect(parseWebhookUrl('http://example.com:8080/').port).toBe('8080');
  });
});

describe('resolveWebhookTarget', () => {
  const resolverOf = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('refuses a host any of whose addresses is private (one bad answer is enough)', async () => {
    await expect(resolveWebhookTarget('https://hooks.example.com/', { allowPrivateNetworks: false, resolver: resolverOf('93.184.215.14', '10.0.0.5') })).rejects.toThrow(UnsafeUrlError);
  });

  it('refuses literal private addresses, including spellings the URL parser normalises', async () => {
    for (const url of ['http://127.0.0.1/', 'http://[::1]/', 'http://0x7f.1/', 'http://2130706433/', 'http://[::ffff:7f00:1]/', 'http://169.254.169.254/latest/meta-data']) {
      await expect(resolveWebhookTarget(url, { allowPrivateNetworks: false })).rejects.toThrow('public addresses');
    }
  });

  it('pins the first checked address', async () => {
    const target = await resolveWebhookTarget('https://hooks.example.com/x', { allowPrivateNetworks: false, resolver: resolverOf('93.184.215.14', '2606:4700:4700::1111') });
    expect(target).toMatchObject({ address: '93.184.215.14', family: 4 });
  });

  it('lets private addresses through only when configured for local development', async () => {
    const target = await resolveWebhookTarget('http://127.0.0.1:9999/hook', { allowPrivateNetworks: true });
    expect(target.address).toBe('127.0.0.1');
  });

  it('reports a host that does not resolve', async () => {
    const failing = async (): Promise<never> => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    await expect(resolveWebhookTarget('https://nowhere.invalid/', { allowPrivateNetworks: false, resolver: failing })).rejects.toThrow('cannot resolve nowhere.invalid (ENOTFOUND)');
  });
});

describe('resolveWebhookTarget with a resolver that never answers', () => {
  it('gives up within its time limit, so an attempt stays within its lease', async () => {
    const started = Date.now();
    const hanging = (): Promise<never> => new Promise(() => undefined);
    await expect(resolveWebhookTarget('https://hangs.example.com/hook', { allowPrivateNetworks: false, resolver: hanging, timeoutMs: 50 })).rejects.toThrow(/cannot resolve hangs\.example\.com \(ETIMEOUT\)/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
