/**
 * One attempt on one deployment: sign, send, and read just enough of the answer to know whether it is worth
 * giving to the client or whether another attempt should be made. Nothing reaches the client here.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Agent } from 'undici';
import { EventStreamDecoder, type EventStreamFrame } from '../aws/eventstream';
import { signRequest } from '../aws/sigv4';
import { GatewayError } from '../errors';
import { ClientGoneError } from '../http/body';
import type { ClientDeparture } from '../http/client-departure';
import type { DeploymentTarget } from '../models';
import type { UpstreamCall } from '../targets';
import { upstreamFailure } from '../upstream/agent';
import { UpstreamExchange } from '../upstream/exchange';
import { isRetryableStatus, isRetryableStreamException, retryAfterMs } from './retry-policy';

/** An upstream answer kept whole, to replay to the client if no later attempt does better. */
export interface StoredAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * A plain answer to give to the client, read whole: nothing has been sent yet, so a failure while reading it was
 * still a failed attempt, and its usage and cost are known before its head goes out.
 */
export interface PlainAnswer {
  readonly kind: 'plain';
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A stream to give to the client: its first frame(s) read, the rest still to come. */
export interface StreamAnswer {
  readonly kind: 'stream';
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The exchange, paused after its first frame(s): the relay attaches to it and resumes it. */
  readonly exchange: UpstreamExchange;
  /** The decoder that has read the first frame(s), and those frames, not yet forwarded. */
  readonly decoder: EventStreamDecoder;
  readonly ready: readonly EventStreamFrame[];
  /** Aborts the upstream call (client gone, or a failure during the relay). */
  readonly abort: (reason: string) => void;
  /** Aborted when the client leaves: the upstream call is then aborted too, and its error is not the upstream's fault. */
  readonly clientGone: ClientDeparture;
  /** Stops the attempt's timers once the answer is fully relayed. */
  readonly settle: () => void;
  /** Registers what to do if the attempt's whole-call timeout passes during the relay (before the call is aborted). */
  readonly onTimeout: (listener: () => void) => void;
}

/** A failed attempt. */
export interface Failure {
  readonly kind: 'failure';
  readonly retryable: boolean;
  /** A 429 cools a deployment down at once. */
  readonly throttled: boolean;
  /** Bedrock surely did not act on the request: it throttled it, or was never reached. */
  readonly unsent: boolean;
  /** The error type, for records and logs (`ThrottlingException`, `ECONNREFUSED`...). */
  readonly errorType: string;
  readonly retryAfterMs?: number | undefined;
  /** What upstream answered, when it answered: the client gets it unchanged if this was the last attempt. */
  readonly answer?: StoredAnswer | undefined;
  /** What the client gets when upstream did not answer. */
  readonly error?: GatewayError | undefined;
}

export type AttemptResult = PlainAnswer | StreamAnswer | Failure;

export interface AttemptRequest {
  readonly agent: Agent;
  readonly deployment: DeploymentTarget;
  readonly upstream: UpstreamCall;
  readonly streaming: boolean;
  /** Client headers to forward (already filtered). */
  readonly forwarded: Readonly<Record<string, string>>;
  /** Aborted when the client goes away. */
  readonly clientGone: ClientDeparture;
  /** The whole call, from sending to the last byte. */
  readonly timeoutMs: number;
  /** Streams: the longest silence allowed before the first frame (and, in the relay, between frames). */
  readonly streamTimeoutMs?: number | undefined;
}

/** Error answers are small; more than this is not kept for replay. */
const MAX_STORED_ANSWER_BYTES = 1024 * 1024;
/** The largest plain answer the gateway holds (an image generation's base64 images fit many times over). */
const MAX_PLAIN_ANSWER_BYTES = 64 * 1024 * 1024;

export async function attempt(request: AttemptRequest): Promise<AttemptResult> {
  const { deployment } = request;
  const exchange = new UpstreamExchange();
  const abort = (reason: string) => exchange.abort(new Error(reason));
  // A flag and a callback rather than an AbortController: no signal and listener per request.
  let timedOut = false;
  let onTimeout: (() => void) | undefined;
  const stopWatchingClient = request.clientGone.onLeave(() => abort('the client went away'));
  const deadline = setTimeout(() => {
    timedOut = true;
    onTimeout?.();
    abort('the call took longer than its timeout');
  }, request.timeoutMs);
  // Streams: the first event must come within stream_timeout of sending — a head that does not come is silence too.
  let silent = false;
  const { streamTimeoutMs } = request;
  const firstEventTimer =
    request.streaming && streamTimeoutMs !== undefined
      ? setTimeout(() => {
          silent = true;
          abort('no first event within the stream timeout');
        }, streamTimeoutMs)
      : undefined;
  const settle = () => {
    clearTimeout(deadline);
    clearTimeout(firstEventTimer);
    stopWatchingClient();
  };
  const timeoutError = () =>
    new GatewayError('ModelTimeoutException', `Deployment ${deployment.id} did not answer within ${request.timeoutMs / 1000} s.`);
  const silenceFailure = (): Failure => ({
    kind: 'failure',
    retryable: true,
    throttled: false,
    unsent: !exchange.requestWritten,
    errorType: 'Timeout',
    error: new GatewayError('ServiceUnavailableException', `Deployment ${deployment.id} sent no event within ${(streamTimeoutMs ?? 0) / 1000} s.`),
  });

  let head: Awaited<UpstreamExchange['head']>;
  try {
    await send(request, exchange);
    head = await exchange.head;
  } catch (error) {
    settle();
    if (request.clientGone.left) throw new ClientGoneError('the client went away before Bedrock answered');
    if (timedOut) return { kind: 'failure', retryable: true, throttled: false, unsent: !exchange.requestWritten, errorType: 'Timeout', error: timeoutError() };
    if (silent) return silenceFailure();
    // The gateway's own failure before sending (no credentials): trying elsewhere would not change it.
    if (error instanceof GatewayError) return { kind: 'failure', retryable: false, throttled: false, unsent: true, errorType: error.type, error };
    const failure = upstreamFailure(error, deployment.id);
    return { kind: 'failure', retryable: true, throttled: false, unsent: !exchange.requestWritten, errorType: errorCode(error), error: failure };
  }

  const { status, headers } = head;
  if (status >= 400) {
    // An error answer is not a stream: only the whole-call timeout bounds its reading.
    clearTimeout(firstEventTimer);
    const stored = await readAnswer(exchange, status, headers, MAX_STORED_ANSWER_BYTES);
    settle();
    const errorType = errorTypeOf(headers['x-amzn-errortype']) ?? `HTTP ${status}`;
    return {
      kind: 'failure',
      retryable: isRetryableStatus(status),
      throttled: status === 429,
      unsent: status === 429,
      errorType,
      retryAfterMs: retryAfterMs(headers['retry-after'], Date.now()),
      answer: stored.outcome === 'complete' ? stored.answer : incompleteErrorAnswer(stored.answer, stored.outcome, errorType, deployment.id),
    };
  }
  if (!request.streaming) {
    const read = await readAnswer(exchange, status, headers, MAX_PLAIN_ANSWER_BYTES);
    settle();
    if (request.clientGone.left) throw new ClientGoneError('the client went away while Bedrock answered');
    if (read.outcome === 'complete') return { kind: 'plain', status, headers, body: read.answer.body };
    if (read.outcome === 'too-large') {
      const error = new GatewayError('InternalServerException', `Deployment ${deployment.id} answered with more than ${MAX_PLAIN_ANSWER_BYTES} bytes, this gateway's limit.`);
      return { kind: 'failure', retryable: false, throttled: false, unsent: false, errorType: 'AnswerTooLarge', error };
    }
    const error = timedOut ? timeoutError() : new GatewayError('ServiceUnavailableException', `Deployment ${deployment.id} broke off its answer.`);
    return { kind: 'failure', retryable: true, throttled: false, unsent: false, errorType: timedOut ? 'Timeout' : 'AnswerBroken', error };
  }

  // A stream can fail inside a 200: read its first frame before committing anything to the client.
  const decoder = new EventStreamDecoder();
  const first = await readFirstFrames(exchange, decoder);
  // The relay times the silence between frames from here.
  clearTimeout(firstEventTimer);
  if (request.clientGone.left) {
    settle();
    throw new ClientGoneError('the client went away before the first event');
  }
  if (first.kind !== 'frames') {
    abort(`no first event (${first.kind})`);
    settle();
    if (silent && !timedOut) return silenceFailure();
    return {
      kind: 'failure',
      retryable: true,
      throttled: false,
      unsent: false,
      errorType: timedOut ? 'Timeout' : 'StreamFailed',
      error: timedOut
        ? timeoutError()
        : new GatewayError('ServiceUnavailableException', `Deployment ${deployment.id} ended or broke its stream before the first event (${first.kind}).`),
    };
  }
  const exceptionType = first.frames[0]?.headers[':exception-type']?.value;
  if (typeof exceptionType === 'string' && isRetryableStreamException(exceptionType)) {
    exchange.resume();
    const rest = await readAnswer(exchange, status, headers, MAX_STORED_ANSWER_BYTES);
    settle();
    return {
      kind: 'failure',
      retryable: true,
      throttled: exceptionType === 'throttlingException',
      unsent: exceptionType === 'throttlingException',
      errorType: exceptionType,
      answer: { ...rest.answer, body: Buffer.concat([...first.frames.map((frame) => frame.raw), rest.answer.body]) },
    };
  }
  return {
    kind: 'stream',
    status,
    headers,
    exchange,
    decoder,
    ready: first.frames,
    abort,
    clientGone: request.clientGone,
    settle,
    onTimeout: (listener) => {
      onTimeout = listener;
    },
  };
}

/** Signs the request for the deployment and starts the exchange. */
async function send(request: AttemptRequest, exchange: UpstreamExchange): Promise<void> {
  const { deployment, upstream, forwarded } = request;
  // Rebuilt from the route and the resolved ids, never from the client's alias or path.
  const path = `${deployment.basePath}${upstream.path(deployment)}`;
  const { method, query } = upstream;
  const body = upstream.body(deployment);
  const headers: Record<string, string> = { ...forwarded, host: deployment.host };
  if (deployment.auth.kind === 'bearer') {
    headers['authorization'] = `Bearer ${deployment.auth.apiKey}`;
  } else {
    const signing = signRequest(
      { method, host: deployment.host, path, query, headers: forwarded, body },
      { credentials: await deployment.auth.credentials(), region: deployment.region, signHeaders: Object.keys(forwarded) },
    );
    Object.assign(headers, signing);
  }
  exchange.start(request.agent, {
    origin: deployment.origin,
    path: query === undefined ? path : `${path}?${query}`,
    method,
    headers,
    body: method === 'GET' ? undefined : body,
  });
}

type FirstFrames = { kind: 'frames'; frames: EventStreamFrame[] } | { kind: 'ended' | 'corrupt' | 'failed' };

/**
 * Reads until at least one whole frame is decoded, then pauses and detaches from the exchange for the relay. A
 * timeout aborts the exchange, which ends the read as `failed`.
 */
function readFirstFrames(exchange: UpstreamExchange, decoder: EventStreamDecoder): Promise<FirstFrames> {
  return new Promise((resolve) => {
    const frames: EventStreamFrame[] = [];
    const done = (result: FirstFrames) => {
      exchange.pause();
      exchange.detach();
      resolve(result);
    };
    exchange.attach({
      data: (chunk) => {
        frames.push(...decoder.push(chunk));
        if (frames.length > 0) done({ kind: 'frames', frames });
        else if (decoder.error) done({ kind: 'corrupt' });
        return frames.length === 0;
      },
      end: () => done({ kind: 'ended' }),
      error: () => done({ kind: 'failed' }),
    });
  });
}

/**
 * Reads an answer whole, up to `limit` bytes; says whether it arrived complete, broke off, or ran over (then the rest
 * is dropped and the upstream call aborted).
 */
function readAnswer(
  exchange: UpstreamExchange,
  status: number,
  headers: IncomingHttpHeaders,
  limit: number,
): Promise<{ answer: StoredAnswer; outcome: 'complete' | 'broken' | 'too-large' }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (outcome: 'complete' | 'broken' | 'too-large') => {
      exchange.detach();
      // What arrived is still the best account of a failure; a success that broke off is a failed attempt.
      resolve({ answer: { status, headers, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) }, outcome });
    };
    exchange.attach({
      data: (chunk) => {
        if (size + chunk.length > limit) {
          done('too-large');
          exchange.abort(new Error(`the answer is larger than ${limit} bytes`));
          return false;
        }
        chunks.push(chunk);
        size += chunk.length;
        return true;
      },
      end: () => done('complete'),
      error: () => done('broken'),
    });
  });
}

/**
 * An error answer that ran over the limit or broke off: replaying its first bytes would hand the client a cut JSON
 * body as if it were whole. Its status and headers (the error type) stand; the body says what happened instead.
 */
function incompleteErrorAnswer(answer: StoredAnswer, outcome: 'broken' | 'too-large', errorType: string, deploymentId: string): StoredAnswer {
  const what = outcome === 'too-large' ? `a body larger than ${MAX_STORED_ANSWER_BYTES} bytes` : 'a body that broke off';
  const message = `Deployment ${deploymentId} answered ${errorType} (${answer.status}) with ${what}.`;
  // The new body is plain JSON, whatever encoding the old one had.
  const { 'content-encoding': _encoding, ...headers } = answer.headers;
  return { ...answer, headers: { ...headers, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ message })) };
}

/** `ThrottlingException:http://internal.amazon.com/...` → `ThrottlingException`. */
export function errorTypeOf(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(':')[0] || undefined;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'ConnectionFailed';
}
