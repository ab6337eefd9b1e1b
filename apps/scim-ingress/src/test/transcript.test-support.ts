import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HttpResult, ReceivedEvent, DirectoryEventsProbe, TestDirectory } from './ingress.test-support';

/*
 * Replays the IdP request transcripts of shared/idp (okta.json, entra-id.json) against a real ingress
 * directory: paths rebased onto the directory's endpoint URL, placeholders and the transcript's sample
 * ids mapped to the ids this test created, the transcript's own headers (Authorization replaced by the
 * directory's token), and the transcript's expectedStatus turned into the statuses it allows.
 */

export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface TranscriptStep {
  readonly step: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly expectedStatus: string;
  readonly source: string;
  readonly confidence: string;
  readonly notes?: string;
  readonly exampleResponse?: unknown;
}

/**
 * The transcript as shared with the other teams (/work/shared/idp); from a clean clone without that
 * folder, the copy kept in libs/scim/test-support/fixtures (identical content).
 */
export function loadTranscript(name: 'okta' | 'entra-id'): TranscriptStep[] {
  const candidates = [
    process.env['IDP_TRANSCRIPTS_DIR'] ? resolve(process.env['IDP_TRANSCRIPTS_DIR'], `${name}.json`) : undefined,
    resolve(__dirname, '../../../../../shared/idp', `${name}.json`),
    resolve(__dirname, '../../../../libs/scim/test-support/fixtures', `${name}.transcript.json`),
  ].filter((p): p is string => p !== undefined);
  const file = candidates.find((p) => existsSync(p));
  if (!file) throw new Error(`transcript ${name} not found in ${candidates.join(', ')}`);
  return JSON.parse(readFileSync(file, 'utf8')) as TranscriptStep[];
}

/**
 * The statuses a step's free-text `expectedStatus` allows ("200 or 204", "200/204", "204 (404 if
 * unknown)", "201 ...; 409 ... if exists"). A PATCH documented as answering 204 may also answer 200 with
 * the full resource: RFC 7644 §3.5.2 lets the server choose ("200 OK ... and the entire resource ... or
 * 204 No Content"), and the transcripts' notes only call the member list in a 200 "not advisable".
 */
export function allowedStatuses(step: TranscriptStep): number[] {
  const found = [...step.expectedStatus.matchAll(/\b([1-5]\d\d)\b/g)].map((m) => Number(m[1]));
  const allowed = new Set(found);
  if (step.method === 'PATCH' && allowed.has(204)) allowed.add(200);
  return [...allowed].sort();
}

export interface ReplayOptions {
  /** Replaces the transcript's path (before substitution), e.g. for `<random GUID>` placeholders. */
  readonly path?: string;
  /** Replaces the transcript's body (before substitution). */
  readonly body?: unknown;
  /** Extra substitutions for this request only. */
  readonly substitute?: Readonly<Record<string, string>>;
  /** Headers added to (or overriding) the transcript's. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ReplayResult<T = Record<string, unknown>> extends HttpResult<T> {
  readonly step: TranscriptStep;
  /** What the transcript's expectedStatus allows. */
  readonly allowed: number[];
  /** The URL actually requested. */
  readonly url: string;
}

/** A transcript bound to one directory: send its steps, with ids mapped as the test goes. */
export class TranscriptReplay {
  /** Placeholder (`{id}`) or transcript sample id → the real id in this directory. */
  readonly ids = new Map<string, string>();

  constructor(
    private readonly directory: TestDirectory,
    readonly steps: readonly TranscriptStep[],
  ) {}

  /** The step whose name starts with `prefix` followed by a dot ("3b" → "3b. Profile update ..."). */
  step(prefix: string): TranscriptStep {
    const found = this.steps.find((s) => s.step.startsWith(`${prefix}.`));
    if (!found) throw new Error(`no transcript step ${prefix}`);
    return found;
  }

  map(placeholderOrSampleId: string, realId: string): this {
    this.ids.set(placeholderOrSampleId, realId);
    return this;
  }

  substitute(text: string, extra: Readonly<Record<string, string>> = {}): string {
    let out = text;
    // Longest keys first, so a sample id never replaces part of a longer one.
    // This request's own substitutions win over the directory-wide id map.
    const pairs = [...new Map([...this.ids.entries(), ...Object.entries(extra)]).entries()].sort((a, b) => b[0].length - a[0].length);
    for (const [from, to] of pairs) out = out.split(from).join(to);
    return out;
  }

  /** The step's body after substitution (what `send` posts). */
  bodyOf(prefix: string, options: ReplayOptions = {}): unknown {
    const step = this.step(prefix);
    const body = options.body !== undefined ? options.body : step.body;
    return body === null || body === undefined ? undefined : JSON.parse(this.substitute(JSON.stringify(body), options.substitute));
  }

  async send<T = Record<string, unknown>>(prefix: string, options: ReplayOptions = {}): Promise<ReplayResult<T>> {
    const step = this.step(prefix);
    // "/scim/v2/Users?startIndex=1&count=100 (then startIndex=101...)": the request is the part before the remark.
    const rawPath = (options.path ?? step.path).replace(/\s+\(then .*\)$/, '');
    const path = this.substitute(rawPath, options.substitute).replace(/^\/scim\/v2(?=\/)/, '');
    // Spaces and quotes as the IdP writes them; the URL parser percent-encodes them (%20, %22) as an HTTP
    // client does, while form-style `+` and existing %XX escapes stay untouched.
    const url = new URL(`${this.directory.endpointUrl}${path}`).toString();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(step.headers)) {
      if (name.toLowerCase() === 'authorization') continue;
      headers[name.toLowerCase()] = value;
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
    headers['authorization'] = `Bearer ${this.directory.token}`;
    const body = this.bodyOf(prefix, options);
    if (body !== undefined) headers['content-type'] ??= 'application/scim+json';
    const response = await fetch(url, { method: step.method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text, step, allowed: allowedStatuses(step), url };
  }
}

// ---- assertions -------------------------------------------------------------------------------------

/** The response status is one the transcript allows for the step (and, if given, exactly `status`). */
export function expectAllowed(result: ReplayResult<unknown>, status?: number): void {
  const verdict = (code: number, allowed: readonly number[]) => `${result.step.step}: ${code} ${allowed.includes(code) ? 'as expected' : `not in [${allowed.join(', ')}]: ${result.text}`}`;
  expect(verdict(result.status, result.allowed)).toBe(`${result.step.step}: ${result.status} as expected`);
  if (status !== undefined) expect(verdict(result.status, [status])).toBe(`${result.step.step}: ${result.status} as expected`);
}

/** A SCIM ListResponse with integer paging fields. */
export function expectListResponse(body: unknown, expected: { totalResults: number; startIndex?: number; itemsPerPage?: number }): Record<string, unknown>[] {
  const list = body as Record<string, unknown>;
  expect(list['schemas']).toEqual([LIST_RESPONSE]);
  for (const field of ['totalResults', 'startIndex', 'itemsPerPage'] as const) expect(Number.isInteger(list[field])).toBe(true);
  expect(list['totalResults']).toBe(expected.totalResults);
  expect(list['startIndex']).toBe(expected.startIndex ?? 1);
  const resources = (list['Resources'] ?? []) as Record<string, unknown>[];
  expect(Array.isArray(resources)).toBe(true);
  expect(list['itemsPerPage']).toBe(expected.itemsPerPage ?? resources.length);
  expect(resources.length).toBe(list['itemsPerPage']);
  return resources;
}

/** A SCIM Error (RFC 7644 §3.12): Error schema, `status` as a string, and the scimType if one applies. */
export function expectScimError(result: { status: number; body: unknown; text: string }, status: number, scimType?: string): void {
  expect({ status: result.status, body: result.text }).toMatchObject({ status });
  const body = result.body as Record<string, unknown>;
  expect(body['schemas']).toEqual([ERROR_SCHEMA]);
  expect(body['status']).toBe(String(status));
  if (scimType !== undefined) expect(body['scimType']).toBe(scimType);
}

/** Never echo a password, whatever the IdP sent. */
export function expectNoPassword(result: { text: string }): void {
  expect(result.text).not.toMatch(/"password"/i);
}

/** Member ids of a group resource (members may be absent when empty). */
export function memberIds(group: unknown): string[] {
  const members = ((group as Record<string, unknown> | undefined)?.['members'] ?? []) as { value: string }[];
  return members.map((m) => m.value).sort();
}

export type ExpectedEvent = readonly [type: string, data: Record<string, unknown>];

/**
 * Exactly these events (types in order, data matching) reached scim.directory.events for the directory,
 * all valid envelopes of that directory and organization.
 */
export async function expectDirectoryEvents(probe: DirectoryEventsProbe, directory: TestDirectory, expected: readonly ExpectedEvent[]): Promise<ReceivedEvent[]> {
  await probe.waitFor(directory.directoryId, expected.length, 10_000).catch(() => undefined);
  const received = await probe.settled(directory.directoryId, 1_000);
  expect(received.map((r) => r.event.type)).toEqual(expected.map(([type]) => type));
  received.forEach((r, i) => expect({ index: i, type: r.event.type, data: r.event.data }).toMatchObject({ index: i, type: expected[i]?.[0], data: expected[i]?.[1] }));
  for (const r of received) {
    expect(r.envelope.directoryid).toBe(directory.directoryId);
    expect(r.envelope.organizationid).toBe(directory.organizationId);
  }
  expect(probe.invalidMessages).toEqual([]);
  return received;
}

/** The two events every new directory starts with. */
export function directorySetupEvents(directory: TestDirectory, provider: string): ExpectedEvent[] {
  return [
    ['DirectoryCreated', { directoryId: directory.directoryId, organizationId: directory.organizationId, provider }],
    ['DirectoryTokenIssued', { directoryId: directory.directoryId, tokenId: directory.tokenId }],
  ];
}
