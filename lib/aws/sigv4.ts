/**
 * AWS Signature Version 4 for outgoing requests, on `node:crypto`, synchronous.
 *
 * It follows the rules of non-S3 services (Bedrock among them): the canonical URI is the wire path with
 * dot segments and empty segments removed and every segment percent-encoded once more, so a model id
 * sent as `...v1%3A0` is signed as `...v1%253A0`. Its output equals `@smithy/signature-v4` (the AWS SDK's
 * signer) on every input; `__tests__/aws/sigv4*.test.ts` prove it against that signer and the AWS test suite.
 */
import { createHmac, hash } from 'node:crypto';
import { decodeComponentLenient } from '../util/uri';

/** AWS credentials a request is signed with. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for temporary credentials (STS); sent and signed as `x-amz-security-token`. */
  readonly sessionToken?: string | undefined;
}

/** A header value as Node holds it: repeated headers are arrays, absent ones `undefined`. */
export type SignableHeaderValue = string | readonly string[] | undefined;

/** The request as it will go on the wire. */
export interface RequestToSign {
  /** HTTP method, as sent (`POST`). */
  readonly method: string;
  /** The `Host` header that will be sent: host name, plus `:port` when it is not the scheme's default. */
  readonly host: string;
  /** The path exactly as it goes on the wire: percent-encoded once, without the query. */
  readonly path: string;
  /** The query string as it goes on the wire, without the leading `?`. */
  readonly query?: string | undefined;
  /** Headers that will be sent. Only those chosen by {@link SigningParams.signHeaders} and the defaults are signed. */
  readonly headers?: Readonly<Record<string, SignableHeaderValue>> | undefined;
  /** The body that will be sent. Ignored when `bodySha256` is given. */
  readonly body?: Uint8Array | string | undefined;
  /** The body's SHA-256 as lowercase hex, when the caller already has it (or `UNSIGNED-PAYLOAD`). */
  readonly bodySha256?: string | undefined;
}

/** How to sign. */
export interface SigningParams {
  readonly credentials: AwsCredentials;
  /** The region of the endpoint (`us-east-1`). */
  readonly region: string;
  /** The signing name of the service. Default `bedrock` (Bedrock Runtime and Agent Runtime both sign as `bedrock`). */
  readonly service?: string | undefined;
  /** The signing time. Default: now. */
  readonly date?: Date | undefined;
  /**
   * Headers to sign besides the ones always signed (`host`, `content-type`, every `x-amz-*`), by name, any case.
   * Names that are never signed (hop-by-hop headers and those a proxy may rewrite, see {@link isNeverSigned}) are ignored.
   */
  readonly signHeaders?: readonly string[] | undefined;
  /** Add and sign `x-amz-content-sha256`, as the AWS SDKs do. Default `true`. */
  readonly contentSha256Header?: boolean | undefined;
}

/** The headers to add to the request. */
export interface SigningHeaders {
  authorization: string;
  'x-amz-date': string;
  'x-amz-content-sha256'?: string;
  'x-amz-security-token'?: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const DEFAULT_SERVICE = 'bedrock';

/**
 * Headers never signed: hop-by-hop headers, headers a proxy or HTTP client may add, drop or rewrite, and
 * the ones the signature itself produces. Signing one of them would make a valid request fail on the way.
 */
const NEVER_SIGNED = new Set([
  'authorization',
  'cache-control',
  'connection',
  'date',
  'expect',
  'forwarded',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'via',
  'x-amzn-trace-id',
]);

/** True for a lowercase header name that is never signed, whatever the caller asks. */
export function isNeverSigned(lowercaseName: string): boolean {
  return (
    NEVER_SIGNED.has(lowercaseName) ||
    lowercaseName.startsWith('proxy-') ||
    lowercaseName.startsWith('sec-') ||
    lowercaseName.startsWith('x-forwarded-')
  );
}

/**
 * Signs a request with SigV4 in the `Authorization` header and returns the headers to add.
 *
 * Signed: `host`, `x-amz-date`, `x-amz-content-sha256` (unless turned off), `x-amz-security-token` (with a
 * session token), `content-type` and every other `x-amz-*` header present, and the headers named in
 * `signHeaders`. Repeated header values are trimmed and joined with `,` as AWS canonicalises repeated lines.
 *
 * @example
 * const signed = signRequest(
 *   { method: 'POST', host: 'bedrock-runtime.us-east-1.amazonaws.com', path: '/model/amazon.nova-lite-v1%3A0/converse',
 *     headers: { 'content-type': 'application/json' }, body },
 *   { credentials, region: 'us-east-1' },
 * );
 */
export function signRequest(request: RequestToSign, params: SigningParams): SigningHeaders {
  const { credentials, region } = params;
  const service = params.service ?? DEFAULT_SERVICE;
  const longDate = amzDate(params.date ?? new Date());

  const canonical = collectSignedHeaders(request, params.signHeaders);
  const payloadHash = request.bodySha256 ?? canonical.callerContentSha256 ?? sha256Hex(request.body);

  const headers = canonical.headers;
  headers.set('host', canonicalHeaderValue(request.host));
  headers.set('x-amz-date', longDate);
  if (credentials.sessionToken !== undefined && credentials.sessionToken !== '') {
    headers.set('x-amz-security-token', canonicalHeaderValue(credentials.sessionToken));
  }
  const addContentSha256 = params.contentSha256Header ?? true;
  if (addContentSha256) headers.set('x-amz-content-sha256', payloadHash);

  const { signature, signedHeaders, scope } = signatureOf(
    { method: request.method, path: request.path, query: request.query, headers, payloadHash },
    { secretAccessKey: credentials.secretAccessKey, longDate, region, service },
  );

  const result: SigningHeaders = {
    authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    'x-amz-date': longDate,
  };
  if (addContentSha256) result['x-amz-content-sha256'] = payloadHash;
  if (headers.has('x-amz-security-token') && credentials.sessionToken) {
    result['x-amz-security-token'] = credentials.sessionToken;
  }
  return result;
}

/** A request reduced to what its signature covers, its signed headers already chosen. */
export interface CanonicalParts {
  readonly method: string;
  /** The path as on the wire: percent-encoded once, without the query. */
  readonly path: string;
  /** The query as on the wire, without the leading `?`. */
  readonly query?: string | undefined;
  /** Every signed header: lowercase name to value, already canonical ({@link canonicalHeaderValue}). */
  readonly headers: ReadonlyMap<string, string>;
  /** The body's SHA-256 as lowercase hex (or what `x-amz-content-sha256` says, such as `UNSIGNED-PAYLOAD`). */
  readonly payloadHash: string;
}

/** Who signs, where and when. */
export interface SignatureScope {
  readonly secretAccessKey: string;
  /** `YYYYMMDDTHHMMSSZ`, the `x-amz-date`. */
  readonly longDate: string;
  readonly region: string;
  readonly service: string;
}

/**
 * The signature of a canonical request: the core of {@link signRequest}, and what a verifier recomputes from a
 * request it received, with the headers its client chose to sign.
 */
export function signatureOf(
  parts: CanonicalParts,
  scope: SignatureScope,
): { readonly signature: string; readonly signedHeaders: string; readonly scope: string } {
  const names = [...parts.headers.keys()].sort();
  let canonicalHeaders = '';
  for (const name of names) canonicalHeaders += `${name}:${parts.headers.get(name)}\n`;
  const signedHeaders = names.join(';');
  const canonicalRequest =
    `${parts.method}\n${canonicalUri(parts.path)}\n${canonicalQuery(parts.query)}\n` +
    `${canonicalHeaders}\n${signedHeaders}\n${parts.payloadHash}`;
  const shortDate = scope.longDate.slice(0, 8);
  const credentialScope = `${shortDate}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${scope.longDate}\n${credentialScope}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', signingKey(scope.secretAccessKey, shortDate, scope.region, scope.service))
    .update(stringToSign)
    .digest('hex');
  return { signature, signedHeaders, scope: credentialScope };
}

interface CollectedHeaders {
  /** Lowercase name to canonical value, for every header of the request that is signed. */
  headers: Map<string, string>;
  /** The caller's own `x-amz-content-sha256`, which (as in the AWS SDK) names the payload hash. */
  callerContentSha256: string | undefined;
}

function collectSignedHeaders(
  request: RequestToSign,
  signHeaders: readonly string[] | undefined,
): CollectedHeaders {
  const headers = new Map<string, string>();
  let callerContentSha256: string | undefined;
  const requested = signHeaders && signHeaders.length > 0 ? new Set(signHeaders.map(lowerCase)) : undefined;
  const source = request.headers;
  if (source) {
    for (const rawName in source) {
      const value = source[rawName];
      if (value === undefined) continue;
      const name = lowerCase(rawName);
      if (name === 'host' || name === 'x-amz-date' || isNeverSigned(name)) continue;
      if (name !== 'content-type' && !name.startsWith('x-amz-') && !requested?.has(name)) continue;
      const canonicalValue =
        typeof value === 'string' ? canonicalHeaderValue(value) : value.map(canonicalHeaderValue).join(',');
      if (name === 'x-amz-content-sha256') callerContentSha256 = canonicalValue;
      const earlier = headers.get(name);
      // The same name in two letter cases is one repeated header on the wire.
      headers.set(name, earlier === undefined ? canonicalValue : `${earlier},${canonicalValue}`);
    }
  }
  return { headers, callerContentSha256 };
}

function lowerCase(name: string): string {
  return name.toLowerCase();
}

const NEEDS_WHITESPACE_CLEANUP = /[\t\r\n]| {2}|^ | $/;

/** Line breaks become spaces, runs of spaces and tabs one space, and one leading and trailing space go (as the AWS SDK does). */
export function canonicalHeaderValue(value: string): string {
  if (!NEEDS_WHITESPACE_CLEANUP.test(value)) return value;
  return value
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}

/** RFC 3986 encoding of everything but unreserved characters, as AWS requires. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, hexEscape);
}

function hexEscape(character: string): string {
  return `%${character.charCodeAt(0).toString(16).toUpperCase()}`;
}

const CANONICAL_URI_CACHE_SIZE = 256;
/** A gateway signs the same few paths (one per model and operation) over and over. */
const canonicalUris = new Map<string, string>();

function canonicalUri(path: string): string {
  let canonical = canonicalUris.get(path);
  if (canonical === undefined) {
    if (canonicalUris.size >= CANONICAL_URI_CACHE_SIZE) canonicalUris.clear();
    canonical = computeCanonicalUri(path);
    canonicalUris.set(path, canonical);
  }
  return canonical;
}

/** Removes empty and dot segments, then encodes each segment again (the non-S3 rule). */
function computeCanonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(uriEncode(segment));
  }
  const leading = path.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return leading + segments.join('/') + trailing;
}

/** Pairs encoded the AWS way, sorted by key, then by value for repeated keys. */
function canonicalQuery(query: string | undefined): string {
  if (!query) return '';
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const key = equals === -1 ? part : part.slice(0, equals);
    const value = equals === -1 ? '' : part.slice(equals + 1);
    pairs.push([uriEncode(decodeComponentLenient(key)), uriEncode(decodeComponentLenient(value))]);
  }
  pairs.sort(compareQueryPairs);
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

function compareQueryPairs([keyA, valueA]: [string, string], [keyB, valueB]: [string, string]): number {
  if (keyA !== keyB) return keyA < keyB ? -1 : 1;
  if (valueA === valueB) return 0;
  return valueA < valueB ? -1 : 1;
}

/** SHA-256 as lowercase hex (the empty body's is a constant). */
export function sha256Hex(data: Uint8Array | string | undefined): string {
  if (data === undefined || data.length === 0) return EMPTY_BODY_SHA256;
  // One-shot hash: no Hash object per call (half the cost of createHash for a short canonical request).
  return hash('sha256', data, 'hex');
}

let lastSecond = Number.NaN;
let lastAmzDate = '';

/** `YYYYMMDDTHHMMSSZ`, formatted once per second. */
function amzDate(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastSecond) {
    const iso = date.toISOString();
    lastAmzDate = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    lastSecond = second;
  }
  return lastAmzDate;
}

const SIGNING_KEY_CACHE_SIZE = 64;
/** Derived keys change once a day per (secret, region, service); deriving one costs four HMACs. */
const signingKeys = new Map<string, Buffer>();

function signingKey(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
  const cacheKey = `${shortDate}\n${region}\n${service}\n${secretAccessKey}`;
  const cached = signingKeys.get(cacheKey);
  if (cached) return cached;
  const dateKey = createHmac('sha256', `AWS4${secretAccessKey}`).update(shortDate).digest();
  const regionKey = createHmac('sha256', dateKey).update(region).digest();
  const serviceKey = createHmac('sha256', regionKey).update(service).digest();
  const key = createHmac('sha256', serviceKey).update('aws4_request').digest();
  if (signingKeys.size >= SIGNING_KEY_CACHE_SIZE) {
    const oldest = signingKeys.keys().next().value;
    if (oldest !== undefined) signingKeys.delete(oldest);
  }
  signingKeys.set(cacheKey, key);
  return key;
}
