/**
 * Reading a received SigV4 signature: the `Authorization: AWS4-HMAC-SHA256 ...` header and the `x-amz-date`, with
 * the messages AWS sends when they are malformed. Shared by the gateway's own verifier and the emulator's.
 */

/** The signature a client sent, split into its parts. */
export interface ParsedAuthorization {
  readonly accessKeyId: string;
  /** `YYYYMMDD` of the credential scope. */
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  /** Lowercase names, in the order given. */
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** The scheme of a SigV4 `Authorization` header, with the space after it. */
export const SIGV4_ALGORITHM_PREFIX = 'AWS4-HMAC-SHA256 ';

/** Parses the `Authorization` header of a SigV4 request; a string is the problem, worded as AWS words it. */
export function parseAuthorization(header: string): ParsedAuthorization | string {
  if (!header.startsWith(SIGV4_ALGORITHM_PREFIX)) return 'Unsupported authorization type';
  const fields = new Map<string, string>();
  for (const part of header.slice(SIGV4_ALGORITHM_PREFIX.length).split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    return "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.";
  }
  const [accessKeyId, scopeDate, region, service, terminator, ...extra] = credential.split('/');
  if (!accessKeyId || !scopeDate || !region || !service || terminator !== 'aws4_request' || extra.length > 0) {
    return `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator ?? ''}'.`;
  }
  return { accessKeyId, scopeDate, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** Parses `YYYYMMDDTHHMMSSZ`; undefined for anything else. */
export function parseAmzDate(value: string | undefined): Date | undefined {
  const match = value === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!, hour, minute, second));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `YYYYMMDDTHHMMSSZ` of a date. */
export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Why a signature made at `signedAt` is not current at `now`, in AWS's words; undefined when it is within `maxSkewMs`.
 */
export function signatureTimeProblem(amzDate: string, signedAt: Date, now: Date, maxSkewMs: number): string | undefined {
  const skew = signedAt.getTime() - now.getTime();
  const minutes = Math.round(maxSkewMs / 60_000);
  if (skew < -maxSkewMs) {
    const earliest = formatAmzDate(new Date(now.getTime() - maxSkewMs));
    return `Signature expired: ${amzDate} is now earlier than ${earliest} (${formatAmzDate(now)} - ${minutes} min.)`;
  }
  if (skew > maxSkewMs) {
    const latest = formatAmzDate(new Date(now.getTime() + maxSkewMs));
    return `Signature not yet current: ${amzDate} is still later than ${latest} (${formatAmzDate(now)} + ${minutes} min.)`;
  }
  return undefined;
}

/** AWS's message for a signature that does not match. */
export const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** AWS's message for an access key id it does not know. */
export const UNKNOWN_ACCESS_KEY_MESSAGE = 'The security token included in the request is invalid.';
