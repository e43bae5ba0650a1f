/** Test scaffolding for HTTP/2: the AWS SDK as it comes, raw requests on a session, and waiting for a condition. */
import { BedrockRuntimeClient, type BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';
import type { ClientHttp2Session, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';

/**
 * The Bedrock Runtime client with the SDK's own defaults, a gateway key as its Bedrock API key. Without a
 * `requestHandler` it is the SDK's NodeHttp2Handler: HTTP/2 (prior knowledge on `http://`), a connection per call.
 */
export function defaultSdkClient(endpoint: string, key: string, config: Partial<BedrockRuntimeClientConfig> = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint,
    token: { token: key },
    authSchemePreference: ['httpBearerAuth'],
    maxAttempts: 1,
    ...config,
  });
}

/** What a raw HTTP/2 request got. */
export interface Http2Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The stream was reset, or its session closed, before the answer's end. */
  readonly cut: boolean;
}

/**
 * Sends one request on `session` and resolves at the end of its answer (not at the stream's close: a stream whose
 * upload the server refused may stay half open on Node's client).
 */
export async function http2Request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string | Buffer): Promise<Http2Answer> {
  const stream = session.request(headers);
  const chunks: Buffer[] = [];
  let responseHeaders: IncomingHttpHeaders = {};
  stream.on('response', (received) => (responseHeaders = received));
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  // Errors show as a cut answer; unhandled, they would fail whichever test runs next.
  stream.on('error', () => undefined);
  const ending = new Promise<'end' | 'close'>((resolve) => {
    stream.once('end', () => resolve('end'));
    stream.once('close', () => resolve('close'));
  });
  stream.end(body);
  const cut = (await ending) !== 'end';
  return { status: Number(responseHeaders[':status']), headers: responseHeaders, body: Buffer.concat(chunks), cut };
}

/** Waits until `condition` holds, checking every few milliseconds; fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
