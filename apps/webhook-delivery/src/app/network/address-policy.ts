import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/*
 * SSRF protection for webhook URLs. Address classes come from ipaddr.js (a well-kept library, also what
 * Express's proxy-addr uses) rather than hand-written CIDR tables: only its `unicast` range — public
 * unicast — is allowed. Everything else is refused: loopback, private (RFC 1918), link-local (incl.
 * 169.254.169.254 cloud metadata), CGNAT (100.64/10), multicast, broadcast, unspecified, reserved, and for
 * IPv6 also unique-local (fc00::/7), and the transition ranges (6to4, Teredo, NAT64 64:ff9b::/96,
 * rfc6145) that can smuggle an IPv4 target. IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as its IPv4.
 */

export type AddressVerdict = { readonly allowed: true } | { readonly allowed: false; readonly range: string };

/** Whether a webhook may connect to this literal IP address (v4 or v6). Not an IP → refused. */
export function classifyAddress(address: string): AddressVerdict {
  // Zone ids (fe80::1%eth0) are link-local anyway; ipaddr.js does not parse them.
  const bare = address.replace(/%.*$/, '');
  if (!ipaddr.isValid(bare) || isIP(bare) === 0) return { allowed: false, range: 'invalid' };
  let parsed: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  // IPv4-compatible IPv6 (::a.b.c.d, ::/96, deprecated by RFC 4291): ipaddr.js counts it as unicast, but
  // where the kernel still routes it, it reaches the embedded IPv4 address.
  if (range === 'unicast' && parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) return { allowed: false, range: 'ipv6 ipv4Compatible' };
  return range === 'unicast' ? { allowed: true } : { allowed: false, range: `${parsed.kind()} ${range}` };
}

export interface ResolvedTarget {
  readonly url: URL;
  /** The checked address the connection must go to (pinned: a second DNS answer is never used). */
  readonly address: string;
  readonly family: 4 | 6;
}

export class UnsafeUrlError extends Error {}

const MAX_URL_LENGTH = 2048;

/** Syntax only: http(s), a host, no credentials, sane length. Throws UnsafeUrlError with the reason. */
export function parseWebhookUrl(text: string): URL {
  if (text.length > MAX_URL_LENGTH) throw new UnsafeUrlError(`url is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UnsafeUrlError('url is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UnsafeUrlError(`url must be http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (url.hostname === '') throw new UnsafeUrlError('url has no host');
  if (url.username !== '' || url.password !== '') throw new UnsafeUrlError('url must not carry credentials (user:password@)');
  return url;
}

export type Resolver = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Resolves the URL's host and checks every address it resolves to (one bad answer is enough to refuse:
 * a host that is sometimes private is an attack, not an accident). Called at registration and again
 * before every attempt, so a DNS answer that changed since (rebinding) is caught; the caller connects
 * to `address`, never resolving again.
 */
export async function resolveWebhookTarget(
  text: string,
  options: { readonly allowPrivateNetworks: boolean; readonly resolver?: Resolver; readonly timeoutMs?: number },
): Promise<ResolvedTarget> {
  const url = parseWebhookUrl(text);
  // URL keeps IPv6 literals in brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let answers: readonly { address: string; family: number }[];
  try {
    answers = isIP(host) !== 0 ? [{ address: host, family: isIP(host) }] : await withTimeout((options.resolver ?? systemResolver)(host), options.timeoutMs ?? 5_000);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'error';
    throw new UnsafeUrlError(`cannot resolve ${host} (${code})`);
  }
  if (answers.length === 0) throw new UnsafeUrlError(`cannot resolve ${host} (no address)`);
  if (!options.allowPrivateNetworks) {
    for (const answer of answers) {
      const verdict = classifyAddress(answer.address);
      if (!verdict.allowed) throw new UnsafeUrlError(`${host} resolves to ${answer.address} (${verdict.range}): webhooks may only target public addresses`);
    }
  }
  const first = answers[0] as { address: string; family: number };
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** A lookup that does not answer in time fails like one that answered "no" (the resolver may hang). */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEOUT' })), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
