/**
 * Verifies a request's SigV4 signature the way AWS does, computing the expected signature with the AWS SDK's
 * own signer (`@smithy/signature-v4`), never with ours: a test that passes against the emulator would then
 * pass against AWS even if our signer and our verifier shared a mistake.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AwsCredentials } from '../aws/sigv4';
import { constantTimeEqual } from '../util/constant-time';
import { decodeComponentLenient } from '../util/uri';
import {
  parseAmzDate,
  parseAuthorization,
  signatureTimeProblem,
  SIGNATURE_MISMATCH_MESSAGE as SIGNATURE_MISMATCH,
  UNKNOWN_ACCESS_KEY_MESSAGE as INVALID_TOKEN,
} from '../aws/sigv4-authorization';

/** The parts of a received request that its signature covers. */
export interface ReceivedRequest {
  readonly method: string;
  /** The request target as received: path, then `?` and the query if any. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Each header's values as received, one entry per line (Node's `headersDistinct`). */
  readonly headersDistinct: Readonly<Record<string, string[] | undefined>>;
  readonly body: Buffer;
}

/** Where and when a signature must have been made. */
export interface SignatureExpectations {
  readonly region: string;
  readonly service: string;
  readonly credentialsByKeyId: ReadonlyMap<string, AwsCredentials>;
  readonly maxClockSkewMs: number;
  readonly now: Date;
}

/** The outcome: the caller's key id, or the AWS error the request gets. */
export type SignatureVerdict =
  | { readonly valid: true; readonly accessKeyId: string }
  | {
      readonly valid: false;
      readonly errorType: 'IncompleteSignatureException' | 'InvalidSignatureException' | 'UnrecognizedClientException';
      readonly message: string;
      readonly accessKeyId?: string | undefined;
    };

function parseQuery(query: string): Record<string, string | string[]> {
  const values = new Map<string, string[]>();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const key = decodeComponentLenient(equals === -1 ? part : part.slice(0, equals));
    const value = decodeComponentLenient(equals === -1 ? '' : part.slice(equals + 1));
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  return Object.fromEntries([...values].map(([key, list]) => [key, list.length === 1 ? (list[0] as string) : list]));
}


/** Checks the request's `Authorization: AWS4-HMAC-SHA256 ...` header. */
export async function verifySignatureWithReference(
  request: ReceivedRequest,
  expectations: SignatureExpectations,
): Promise<SignatureVerdict> {
  const parsed = parseAuthorization(request.headers.authorization ?? '');
  if (typeof parsed === 'string') return { valid: false, errorType: 'IncompleteSignatureException', message: parsed };
  const { accessKeyId } = parsed;
  const reject = (errorType: 'InvalidSignatureException' | 'UnrecognizedClientException', message: string) =>
    ({ valid: false, errorType, message, accessKeyId }) as const;

  const credentials = expectations.credentialsByKeyId.get(accessKeyId);
  if (!credentials) return reject('UnrecognizedClientException', INVALID_TOKEN);
  const token = request.headers['x-amz-security-token'];
  if ((credentials.sessionToken ?? undefined) !== token) return reject('UnrecognizedClientException', INVALID_TOKEN);

  if (parsed.service !== expectations.service) {
    return reject('InvalidSignatureException', `Credential should be scoped to correct service: '${expectations.service}'. `);
  }
  if (parsed.region !== expectations.region) {
    return reject('InvalidSignatureException', `Credential should be scoped to a valid region, not '${parsed.region}'. `);
  }
  const amzDate = request.headers['x-amz-date'];
  const signingDate = parseAmzDate(typeof amzDate === 'string' ? amzDate : undefined);
  if (!signingDate || !parsed.signedHeaders.includes('x-amz-date') || !parsed.signedHeaders.includes('host')) {
    return {
      valid: false,
      errorType: 'IncompleteSignatureException',
      message: "Authorization header requires existence of a signed 'X-Amz-Date' and 'Host' header.",
      accessKeyId,
    };
  }
  if (parsed.scopeDate !== (amzDate as string).slice(0, 8)) {
    return reject(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.scopeDate}' != '${(amzDate as string).slice(0, 8)}', from '${amzDate as string}'.`,
    );
  }
  const late = signatureTimeProblem(amzDate as string, signingDate, expectations.now, expectations.maxClockSkewMs);
  if (late) return reject('InvalidSignatureException', late);
  // AWS hashes the body it received; a signed x-amz-content-sha256 that lies about it does not match.
  const declaredHash = request.headers['x-amz-content-sha256'];
  if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(request.body).digest('hex')) {
    return reject('InvalidSignatureException', SIGNATURE_MISMATCH);
  }

  const signedHeaders: Record<string, string> = {};
  for (const name of parsed.signedHeaders) {
    const values = request.headersDistinct[name];
    if (values === undefined) return reject('InvalidSignatureException', SIGNATURE_MISMATCH);
    signedHeaders[name] = values.join(',');
  }
  const queryAt = request.url.indexOf('?');
  const host = signedHeaders['host'] ?? '';
  const signer = new SignatureV4({
    credentials: {
      accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      // A token sent but left unsigned is valid (it was added after signing); the reference must not sign it then.
      sessionToken: parsed.signedHeaders.includes('x-amz-security-token') ? credentials.sessionToken : undefined,
    },
    region: parsed.region,
    service: parsed.service,
    sha256: Sha256,
    applyChecksum: false,
    uriEscapePath: true,
  });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: host,
      path: queryAt === -1 ? request.url : request.url.slice(0, queryAt),
      query: queryAt === -1 ? {} : parseQuery(request.url.slice(queryAt + 1)),
      headers: signedHeaders,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(parsed.signedHeaders) },
  );
  const expectedSignature = /Signature=([0-9a-f]+)/.exec(expected.headers['authorization'] ?? '')?.[1] ?? '';
  const expectedSignedHeaders = /SignedHeaders=([^,]+)/.exec(expected.headers['authorization'] ?? '')?.[1] ?? '';
  if (expectedSignedHeaders !== parsed.signedHeaders.join(';') || !constantTimeEqual(expectedSignature, parsed.signature)) {
    return reject('InvalidSignatureException', SIGNATURE_MISMATCH);
  }
  return { valid: true, accessKeyId };
}
