/**
 * Clients that sign with SigV4: a gateway key's `access_key_id` / `secret_access_key` serve as the client's AWS
 * credentials, and the gateway checks the signature as AWS would, with its own signer.
 *
 * The canonical request is rebuilt from the request exactly as received: the full path with the mount point and the
 * model segment as encoded on the wire (the signer encodes it once more), the query, the headers the client chose to
 * sign and only those, and the body's hash. A signature is good for five minutes either side of the gateway's
 * clock, and only once: the store remembers every signature it accepted for as long as it could be replayed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  parseAmzDate,
  parseAuthorization,
  signatureTimeProblem,
  SIGNATURE_MISMATCH_MESSAGE,
  UNKNOWN_ACCESS_KEY_MESSAGE,
  type ParsedAuthorization,
} from '../aws/sigv4-authorization';
import { canonicalHeaderValue, sha256Hex, signatureOf } from '../aws/sigv4';
import { GatewayError } from '../errors';
import type { Store } from '../state/store';
import { StoreUnavailableError } from '../state/store-unavailable-error';
import type { Principal } from '../types';
import { constantTimeEqual } from '../util/constant-time';

/** AWS's limit, in both directions. */
export const MAX_SIGNATURE_SKEW_MS = 5 * 60_000;
/** Bedrock's signing name: the one service scope a client may sign for. */
const SIGNING_SERVICE = 'bedrock';
const REPLAY_PREFIX = 'sigv4-replay:';

/** A gateway key that clients use as AWS credentials. */
export interface SigningKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly principal: Principal;
}

/** A received request, as far as its signature covers it. */
export interface SignedRequest {
  readonly method: string;
  /** The request target as the client sent it: the full path (mount point included), then `?` and the query. */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  /** Each header's values, one per line received (Node's `headersDistinct`), when the server keeps them. */
  readonly headersDistinct?: Readonly<Record<string, string[] | undefined>> | undefined;
  /** The body, read once. */
  body(): Promise<Buffer>;
}

/** True when a request carries a SigV4 `Authorization` header rather than a key. */
export function isSigV4Signed(headers: IncomingHttpHeaders): boolean {
  return headers.authorization?.startsWith('AWS4-') === true;
}

/** The access key id a SigV4 `Authorization` header names, if it parses. */
export function signingKeyIdOf(headers: IncomingHttpHeaders): string | undefined {
  const parsed = parseAuthorization(headers.authorization ?? '');
  return typeof parsed === 'string' ? undefined : parsed.accessKeyId;
}

/** Checks signatures made with the given keys; resolves to the key's principal or throws the error AWS would send. */
export function createSigV4Verifier(keys: readonly SigningKey[], store: Store, now: () => number): (request: SignedRequest) => Promise<Principal> {
  const keysById = new Map(keys.map((key) => [key.accessKeyId, key]));

  return async (request) => {
    const parsed = parseAuthorization(request.headers.authorization ?? '');
    if (typeof parsed === 'string') throw new GatewayError('IncompleteSignatureException', parsed);
    const key = keysById.get(parsed.accessKeyId);
    if (!key) throw new GatewayError('UnrecognizedClientException', UNKNOWN_ACCESS_KEY_MESSAGE);
    if (parsed.service !== SIGNING_SERVICE) {
      throw new GatewayError('InvalidSignatureException', `Credential should be scoped to correct service: '${SIGNING_SERVICE}'.`);
    }
    const amzDate = singleValue(request.headers['x-amz-date']);
    const signedAt = parseAmzDate(amzDate);
    // Over HTTP/2, the AWS SDK signs the host as `:authority`, the header that carries it there.
    const signsHost = parsed.signedHeaders.includes('host') || parsed.signedHeaders.includes(':authority');
    if (!amzDate || !signedAt || !signsHost || !parsed.signedHeaders.includes('x-amz-date')) {
      throw new GatewayError('IncompleteSignatureException', "Authorization header requires existence of a signed 'X-Amz-Date' and 'Host' header.");
    }
    if (parsed.scopeDate !== amzDate.slice(0, 8)) {
      throw new GatewayError(
        'InvalidSignatureException',
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
      );
    }
    const late = signatureTimeProblem(amzDate, signedAt, new Date(now()), MAX_SIGNATURE_SKEW_MS);
    if (late) throw new GatewayError('InvalidSignatureException', late);

    const expected = signatureOf(
      {
        method: request.method,
        ...splitTarget(request.target),
        headers: signedHeaderValues(request, parsed),
        payloadHash: await payloadHash(request),
      },
      { secretAccessKey: key.secretAccessKey, longDate: amzDate, region: parsed.region, service: parsed.service },
    );
    if (!constantTimeEqual(expected.signature, parsed.signature)) {
      throw new GatewayError('InvalidSignatureException', SIGNATURE_MISMATCH_MESSAGE);
    }
    // Remembered until its date falls out of the window (5 minutes for a client with a good clock), and no longer.
    await refuseReplay(store, parsed.signature, signedAt.getTime() + MAX_SIGNATURE_SKEW_MS + 1000 - now());
    return key.principal;
  };
}

/** The signed headers' canonical values; a header named as signed but absent cannot match. */
function signedHeaderValues(request: SignedRequest, parsed: ParsedAuthorization): Map<string, string> {
  const values = new Map<string, string>();
  for (const name of parsed.signedHeaders) {
    // A client that signed `host` but whose request came over HTTP/2 (through a proxy that changed protocols) sent
    // the same value as `:authority`.
    const lines = request.headersDistinct?.[name] ?? asLines(name === 'host' ? (request.headers.host ?? request.headers[':authority']) : request.headers[name]);
    if (lines === undefined) throw new GatewayError('InvalidSignatureException', SIGNATURE_MISMATCH_MESSAGE);
    values.set(name, lines.map(canonicalHeaderValue).join(','));
  }
  return values;
}

/**
 * The body's hash. A client's `x-amz-content-sha256` must be the hash of the body that arrived: `UNSIGNED-PAYLOAD`
 * is refused, since the gateway forwards that body with its own signature and must know the client signed it.
 */
async function payloadHash(request: SignedRequest): Promise<string> {
  const hash = sha256Hex(await request.body());
  const declared = singleValue(request.headers['x-amz-content-sha256']);
  if (declared !== undefined && declared !== hash) {
    const reason = declared === 'UNSIGNED-PAYLOAD' ? 'this gateway requires signed payloads' : 'the body does not match x-amz-content-sha256';
    throw new GatewayError('InvalidSignatureException', `${SIGNATURE_MISMATCH_MESSAGE} (${reason})`);
  }
  return hash;
}

/** Counts the signature as used, refusing it if it was used before (on any instance sharing the store). */
async function refuseReplay(store: Store, signature: string, replayableForMs: number): Promise<void> {
  let firstUse: boolean;
  try {
    firstUse = (await store.incrementWithin(`${REPLAY_PREFIX}${signature}`, 1, 1, Math.max(1000, replayableForMs))).admitted;
  } catch (error) {
    if (!(error instanceof StoreUnavailableError)) throw error;
    throw new GatewayError('ServiceUnavailableException', 'Signatures cannot be checked for replay while the gateway\'s shared state is unavailable; try again shortly.', undefined, {
      'retry-after': '5',
    });
  }
  if (!firstUse) {
    throw new GatewayError('InvalidSignatureException', 'This signature was already used: sign every request afresh (AWS SDKs do).');
  }
}

function splitTarget(target: string): { path: string; query: string | undefined } {
  const queryAt = target.indexOf('?');
  return queryAt === -1 ? { path: target, query: undefined } : { path: target.slice(0, queryAt), query: target.slice(queryAt + 1) };
}

function singleValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function asLines(value: string | string[] | undefined): string[] | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}
