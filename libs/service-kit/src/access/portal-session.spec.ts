import { cookieValue, PortalSessionCodec, sessionCookie } from './portal-session';

const KEY = 'k'.repeat(40);
const claims = { sid: 's-1', organizationId: 'org-a', linkId: 'link-1', exp: 2_000_000_000 };

describe('PortalSessionCodec', () => {
  const codec = new PortalSessionCodec(KEY);

  it('verifies what it signed until it expires', () => {
    const token = codec.sign(claims);
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(codec.verify(token, 1_999_999_999_000)).toEqual(claims);
    expect(codec.verify(token, 2_000_000_000_000)).toBeNull();
  });

  it('refuses a token signed with another key, a changed payload or signature, and garbage', () => {
    const token = codec.sign(claims);
    expect(new PortalSessionCodec('x'.repeat(40)).verify(token, 0)).toBeNull();
    const [v, payload, mac] = token.split('.') as [string, string, string];
    const other = Buffer.from(JSON.stringify({ sid: 's-1', org: 'org-b', lnk: 'link-1', exp: 2_000_000_000 })).toString('base64url');
    expect(codec.verify(`${v}.${other}.${mac}`, 0)).toBeNull();
    expect(codec.verify(`${v}.${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, 0)).toBeNull();
    expect(codec.verify(`v2.${payload}.${mac}`, 0)).toBeNull();
    for (const bad of ['', 'v1', 'v1..', 'v1.a.b', 'a.b.c.d', `v1.${payload}`, 'v1.%%%.%%%', 'x'.repeat(5000)]) expect(codec.verify(bad, 0)).toBeNull();
  });

  it('refuses a well-signed payload that lacks a claim', () => {
    // Signed by the codec's own key, so only the shape check can refuse it.
    const signer = new PortalSessionCodec(KEY) as unknown as { mac(p: string): Buffer };
    const payload = Buffer.from(JSON.stringify({ sid: 's', org: 'o', exp: 2_000_000_000 })).toString('base64url');
    expect(codec.verify(`v1.${payload}.${signer.mac(payload).toString('base64url')}`, 0)).toBeNull();
  });
});

describe('cookies', () => {
  it('finds one cookie among several, and none when absent', () => {
    expect(cookieValue('a=1; scimbridge_portal=v1.x.y; b=2', 'scimbridge_portal')).toBe('v1.x.y');
    expect(cookieValue(['a=1', 'scimbridge_portal="v1.q.r"'], 'scimbridge_portal')).toBe('v1.q.r');
    expect(cookieValue('xscimbridge_portal=1', 'scimbridge_portal')).toBeUndefined();
    expect(cookieValue(undefined, 'scimbridge_portal')).toBeUndefined();
  });

  it('writes an http-only, same-site cookie, Secure when asked', () => {
    expect(sessionCookie('t', 3600.7, false)).toBe('scimbridge_portal=t; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax');
    expect(sessionCookie('', -5, true)).toBe('scimbridge_portal=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure');
    // Embedded in another site's page: only over https, where the browser accepts SameSite=None.
    expect(sessionCookie('t', 60, true, { crossSite: true })).toBe('scimbridge_portal=t; Path=/; Max-Age=60; HttpOnly; SameSite=None; Secure');
    expect(sessionCookie('t', 60, false, { crossSite: true })).toBe('scimbridge_portal=t; Path=/; Max-Age=60; HttpOnly; SameSite=Lax');
  });
});
