// AWS Signature Version 4, checked the way an AWS front end checks it, so a request the SDK
// signed with the wrong secret (or a body changed after signing) is refused like AWS refuses
// it. Canonical request as the SDK builds it for non-S3 services: the path is URI-escaped
// once more (double encoding), the query sorted, the signed headers trimmed and joined.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SignedRequest {
  readonly method: string;
  /** The raw request target as received: path and query, still percent-encoded. */
  readonly target: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

export interface VerifyOptions {
  readonly credentials: AwsCredentials;
  readonly service: string;
  /** The region the credential scope must name; undefined accepts any. */
  readonly region?: string;
  readonly now: Date;
  /** AWS refuses signatures more than 5 minutes off its clock. */
  readonly maxSkewMs?: number;
}

/** Accepted, or the AWS error (status, `x-amzn-ErrorType`, message) a real front end would answer. */
export type Verdict =
  | { readonly ok: true; readonly region: string }
  | { readonly ok: false; readonly status: 400 | 403; readonly type: string; readonly message: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AUTH = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

const reject = (status: 400 | 403, type: string, message: string): Verdict => ({ ok: false, status, type, message });
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Uint8Array | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** encodeURIComponent plus the characters RFC 3986 reserves that it leaves alone. */
export const escapeUri = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const header = (headers: SignedRequest['headers'], name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

export function verifySigV4(request: SignedRequest, options: VerifyOptions): Verdict {
  const auth = header(request.headers, 'authorization');
  if (!auth) return reject(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  const match = AUTH.exec(auth);
  if (!match) return reject(400, 'IncompleteSignatureException', `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' (${ALGORITHM}).`);
  const [, credential = '', signedHeaderList = '', signature = ''] = match;
  const [accessKeyId, date, region, service, terminator, ...extra] = credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request' || extra.length > 0) {
    return reject(400, 'IncompleteSignatureException', `Credential must have the form <key>/<date>/<region>/<service>/aws4_request, got ${credential}.`);
  }
  if (accessKeyId !== options.credentials.accessKeyId) return reject(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (service !== options.service) return reject(403, 'InvalidSignatureException', `Credential should be scoped to correct service: '${options.service}'.`);
  if (options.region !== undefined && region !== options.region) {
    return reject(403, 'InvalidSignatureException', `Credential should be scoped to a valid region, not '${region}'.`);
  }

  const amzDate = header(request.headers, 'x-amz-date');
  const signedAt = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!amzDate || signedAt === undefined) return reject(400, 'IncompleteSignatureException', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
  if (amzDate.slice(0, 8) !== date) return reject(403, 'InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${amzDate.slice(0, 8)}'.`);
  const skew = options.maxSkewMs ?? 5 * 60_000;
  if (Math.abs(options.now.getTime() - signedAt) > skew) {
    return reject(403, 'InvalidSignatureException', `Signature expired: ${amzDate} is now earlier than ${amzDateOf(new Date(options.now.getTime() - skew))} (${amzDateOf(options.now)} - 5 min.)`);
  }

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) return reject(403, 'InvalidSignatureException', "'Host' must be a signed header.");
  const token = header(request.headers, 'x-amz-security-token');
  if (token !== options.credentials.sessionToken || (token !== undefined && !signedHeaders.includes('x-amz-security-token'))) {
    return reject(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  }

  const bodyHash = sha256(request.body);
  const declared = header(request.headers, 'x-amz-content-sha256');
  if (declared !== undefined && declared !== bodyHash) {
    return reject(400, 'InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const q = request.target.indexOf('?');
  const path = q < 0 ? request.target : request.target.slice(0, q);
  const query = q < 0 ? '' : request.target.slice(q + 1);
  const canonical = [
    request.method,
    canonicalPath(path),
    canonicalQuery(query),
    signedHeaders.map((name) => `${name}:${(header(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join(''),
    signedHeaderList,
    bodyHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${options.credentials.secretAccessKey}`, date), region), service), 'aws4_request');
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return reject(
      403,
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { ok: true, region };
}

/** The path as the SDK signs it: dot segments resolved, then every byte escaped again ('/' kept). */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  const pairs = query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const k = decodeURIComponent(eq < 0 ? p : p.slice(0, eq));
      const v = eq < 0 ? '' : decodeURIComponent(p.slice(eq + 1).replace(/\+/g, ' '));
      return [escapeUri(k), escapeUri(v)] as const;
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** `20261124T043712Z` → epoch ms; undefined when malformed. */
function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, se);
}

export const amzDateOf = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
