/**
 * Which headers cross the gateway. Requests: Bedrock's own headers and those the config allows, nothing that
 * carries the client's identity or signature. Responses: Bedrock's headers, nothing hop-by-hop.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Request headers Bedrock defines (besides every `x-amzn-bedrock-*`). */
const BEDROCK_REQUEST_HEADERS = new Set(['content-type', 'accept']);

/**
 * Never forwarded, whatever the config says: credentials (the client's key and signature, cookies), what the
 * gateway sets itself (host, length, signing headers), hop-by-hop headers, compression negotiation (Bedrock's
 * answer is passed on uncompressed unless the host compresses), and what tells a server behind a proxy which host
 * and scheme a request was for (`forwarded`, `x-forwarded-*`, `via`): a configured endpoint behind a load balancer
 * may route on them, and the upstream host is the config's alone.
 */
function neverForwarded(name: string): boolean {
  return (
    name === 'authorization' ||
    name === 'x-api-key' ||
    name === 'cookie' ||
    name === 'host' ||
    name === 'content-length' ||
    name === 'accept-encoding' ||
    name === 'connection' ||
    name === 'keep-alive' ||
    name === 'te' ||
    name === 'trailer' ||
    name === 'transfer-encoding' ||
    name === 'upgrade' ||
    name === 'expect' ||
    name === 'forwarded' ||
    name === 'via' ||
    name.startsWith('x-forwarded-') ||
    name.startsWith('proxy-') ||
    name.startsWith('x-amz-')
  );
}

const PASS_PREFIX = 'x-pass-';

/** The rules of one gateway: the allowed extra headers, and the header its keys may come in. */
export interface ForwardingRules {
  /** Extra request headers to forward as they are (lowercase). */
  readonly allowed: ReadonlySet<string>;
  /** The configured key header (lowercase): a secret, never forwarded. */
  readonly keyHeader?: string | undefined;
}

/**
 * The client headers to send upstream: Bedrock's (`content-type`, `accept`, `x-amzn-bedrock-*`, and those the
 * operation defines), the allowed extras, and `x-pass-<name>` headers as `<name>` (LiteLLM's convention), minus
 * everything {@link neverForwarded}.
 */
export function forwardedRequestHeaders(
  headers: IncomingHttpHeaders,
  rules: ForwardingRules,
  operationHeaders: readonly string[] = [],
): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === rules.keyHeader) continue;
    // A header the operation itself defines (InvokeAgent's `x-amz-source-arn`) passes as it is.
    if (operationHeaders.includes(name)) {
      forwarded[name] = Array.isArray(value) ? value.join(', ') : value;
      continue;
    }
    let target = name;
    if (name.startsWith(PASS_PREFIX)) target = name.slice(PASS_PREFIX.length);
    else if (!BEDROCK_REQUEST_HEADERS.has(name) && !name.startsWith('x-amzn-bedrock-') && !rules.allowed.has(name)) continue;
    if (target === '' || target === rules.keyHeader || neverForwarded(target)) continue;
    forwarded[target] = Array.isArray(value) ? value.join(', ') : value;
  }
  return forwarded;
}

const BEDROCK_RESPONSE_HEADERS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'retry-after',
  'x-amzn-requestid',
  'x-amzn-errortype',
  'x-amzn-errormessage',
]);

/** Bedrock's response headers to pass back to the client. */
export function passedResponseHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): OutgoingHttpHeaders {
  const passed: OutgoingHttpHeaders = {};
  for (const name in headers) {
    // Agent Runtime names some of its own `x-amz-bedrock-*` (InvokeAgent's session and memory ids).
    if (BEDROCK_RESPONSE_HEADERS.has(name) || name.startsWith('x-amzn-bedrock-') || name.startsWith('x-amz-bedrock-')) passed[name] = headers[name];
  }
  return passed;
}
