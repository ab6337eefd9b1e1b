import { Webhook } from 'standardwebhooks';
import { newSigningSecret, SecretBox } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox('k'.repeat(40));

  it('round-trips a secret and never stores it in clear', () => {
    const secret = newSigningSecret();
    const sealed = box.seal(secret, 'endpoint-1');
    expect(sealed).not.toContain(secret.slice(6, 20));
    expect(box.open(sealed, 'endpoint-1')).toBe(secret);
  });

  it('refuses a ciphertext moved to another endpoint, a tampered one, or another key', () => {
    const sealed = box.seal(newSigningSecret(), 'endpoint-1');
    expect(() => box.open(sealed, 'endpoint-2')).toThrow();
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3] as string, 'base64url');
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(() => box.open([parts[0], parts[1], parts[2], flipped.toString('base64url')].join('.'), 'endpoint-1')).toThrow();
    expect(() => new SecretBox('z'.repeat(40)).open(sealed, 'endpoint-1')).toThrow();
  });
});

describe('newSigningSecret', () => {
  it('is whsec_ + base64 of 32 bytes, usable by the standard-webhooks library', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    const webhook = new Webhook(secret);
    const signature = webhook.sign('msg_1', new Date(), '{"a":1}');
    expect(webhook.verify('{"a":1}', { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': signature })).toEqual({ a: 1 });
  });
});
