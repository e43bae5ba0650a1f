/**
 * A local Bedrock Runtime server for tests: it verifies SigV4 with the AWS SDK's signer (or accepts Bedrock API
 * keys), answers in Bedrock's wire shapes, fails on command, and records every request.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BEDROCK_ERROR_STATUS, writeBedrockError, type BedrockErrorType } from '../aws/bedrock-errors';
import { encodeExceptionFrame } from '../aws/bedrock-frames';
import type { AwsCredentials } from '../aws/sigv4';
import { constantTimeEqual } from '../util/constant-time';
import { BehaviourQueue, STREAMING_OPERATIONS, type Behaviour, type EmulatedOperation } from './behaviours';
import {
  anthropicInvokeBody,
  anthropicStreamFrames,
  applyGuardrailBody,
  converseBody,
  converseStreamFrames,
  estimateInputTokens,
  invokeResponseHeaders,
  replyDeltas,
  type EmulatedReply,
} from './model-responses';
import { verifySignatureWithReference, type SignatureVerdict } from './reference-sigv4';

/**
 * Credentials the emulator accepts unless told otherwise. Not a secret: they open nothing but the emulator.
 * Not frozen, because the AWS SDK tags the credentials objects it is given.
 */
export const EMULATOR_CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIAEMULATOR0000TEST',
  secretAccessKey: 'bedrock-emulator/secret/key/for-tests-only',
};

/** The Bedrock API key the emulator accepts unless told otherwise. */
export const EMULATOR_API_KEY = 'ABSKbedrock-emulator-api-key-for-tests-only';

/** How to start an emulator. */
export interface EmulatorOptions {
  /** The region it emulates; signatures must be scoped to it. Default `us-east-1`. */
  readonly region?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** `required` (default): SigV4 or an API key on every call; `none`: no checks at all (for benchmarks). */
  readonly auth?: 'required' | 'none';
  /** SigV4 credentials accepted. Default: {@link EMULATOR_CREDENTIALS}. */
  readonly credentials?: readonly AwsCredentials[];
  /** Bedrock API keys accepted as `Authorization: Bearer`. Default: {@link EMULATOR_API_KEY}. */
  readonly apiKeys?: readonly string[];
  /** Largest accepted difference between a signature's time and the emulator's clock. Default 5 minutes. */
  readonly maxClockSkewMs?: number;
  /** The emulator's clock, for signature-time checks. Default: the system clock. */
  readonly clock?: () => Date;
  /** Model ids it knows; others get Bedrock's invalid-model error. Default: any model id. */
  readonly models?: readonly string[];
  /** The models' answer. Default: a short fixed sentence. */
  readonly replyText?: string;
  /** Wait between stream frames, for every call. Default 0. */
  readonly chunkDelayMs?: number;
  /** Words that make ApplyGuardrail intervene. Default: none. */
  readonly guardrailBlockedWords?: readonly string[];
  /** Largest accepted request body. Default 25 MiB. */
  readonly maxBodyBytes?: number;
}

/** How a recorded call was authenticated. */
export interface RecordedAuth {
  readonly scheme: 'sigv4' | 'bearer' | 'none' | 'missing';
  readonly accepted: boolean;
  readonly accessKeyId?: string | undefined;
  /** Why it was refused, as the error sent. */
  readonly errorType?: string | undefined;
  readonly message?: string | undefined;
}

/** One request the emulator received, for assertions. */
export interface RecordedRequest {
  readonly id: string;
  readonly receivedAt: Date;
  readonly method: string;
  /** The request target exactly as received. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  body: Buffer;
  operation?: EmulatedOperation | undefined;
  /** The model id (percent-decoded once), or the guardrail id for ApplyGuardrail. */
  modelId?: string | undefined;
  auth?: RecordedAuth | undefined;
  status?: number | undefined;
  /** The bytes of a successful answer as sent (stream frames included), to prove a proxy passed them unchanged. */
  responseBody?: Buffer | undefined;
  /** `client-aborted`: the client went away before the answer was complete. `connection-cut`: a fault cut it. */
  outcome: 'pending' | 'completed' | 'client-aborted' | 'connection-cut';
}

/** A running emulator. */
export interface BedrockEmulator {
  /** Base URL to use as the Bedrock Runtime endpoint (`http://127.0.0.1:PORT`). */
  readonly url: string;
  readonly port: number;
  readonly region: string;
  /** Every request received, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Queues a behaviour for the next matching call(s). */
  inject(behaviour: Behaviour): void;
  /** Forgets recorded requests and queued behaviours. */
  reset(): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

const DEFAULT_REPLY = 'Hello from the Bedrock emulator. This answer is canned.';
const DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024;
const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.bedrock/';

/** An error answer: the type, its message, and an optional status and headers. */
class EmulatedError {
  constructor(
    readonly type: BedrockErrorType,
    readonly message: string,
    readonly status: number = BEDROCK_ERROR_STATUS[type],
    readonly headers: Record<string, string> = {},
  ) {}
}

interface Route {
  readonly operation: EmulatedOperation;
  readonly modelId: string;
}

const MODEL_OPERATIONS: ReadonlySet<string> = new Set([
  'invoke',
  'invoke-with-response-stream',
  'converse',
  'converse-stream',
  'count-tokens',
]);

function matchRoute(method: string, path: string): Route | EmulatedError {
  const segments = path.split('/');
  let operation: EmulatedOperation | undefined;
  let encodedId: string | undefined;
  if (segments.length === 4 && segments[1] === 'model' && MODEL_OPERATIONS.has(segments[3] as string)) {
    operation = segments[3] as EmulatedOperation;
    encodedId = segments[2];
  } else if (segments.length === 6 && segments[1] === 'guardrail' && segments[3] === 'version' && segments[5] === 'apply') {
    operation = 'apply-guardrail';
    encodedId = segments[2];
  }
  if (!operation || !encodedId || method !== 'POST') {
    return new EmulatedError('UnknownOperationException', `Unknown operation ${method} ${path}`);
  }
  try {
    return { operation, modelId: decodeURIComponent(encodedId) };
  } catch {
    return new EmulatedError('ValidationException', 'The provided model identifier is invalid.');
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks, size) : undefined));
    req.on('close', () => {
      if (!req.complete) reject(new Error('client went away during the upload'));
    });
    req.on('error', reject);
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts an emulator; resolves once it listens. */
export async function startBedrockEmulator(options: EmulatorOptions = {}): Promise<BedrockEmulator> {
  const region = options.region ?? 'us-east-1';
  const credentialsByKeyId = new Map(
    (options.credentials ?? [EMULATOR_CREDENTIALS]).map((credentials) => [credentials.accessKeyId, credentials]),
  );
  const apiKeys = options.apiKeys ?? [EMULATOR_API_KEY];
  const clock = options.clock ?? (() => new Date());
  const knownModels = options.models ? new Set(options.models) : undefined;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const behaviours = new BehaviourQueue();
  const requests: RecordedRequest[] = [];

  async function authenticate(req: IncomingMessage, body: Buffer): Promise<RecordedAuth> {
    if (options.auth === 'none') return { scheme: 'none', accepted: true };
    const authorization = req.headers.authorization;
    if (!authorization) {
      return { scheme: 'missing', accepted: false, errorType: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
    }
    if (authorization.startsWith('Bearer ')) {
      const key = authorization.slice('Bearer '.length).trim();
      const accepted = apiKeys.some((apiKey) => constantTimeEqual(apiKey, key));
      return accepted
        ? { scheme: 'bearer', accepted }
        : {
            scheme: 'bearer',
            accepted,
            errorType: 'AccessDeniedException',
            message: 'Authentication failed: Please make sure your API Key is valid.',
          };
    }
    const verdict: SignatureVerdict = await verifySignatureWithReference(
      { method: req.method ?? '', url: req.url ?? '', headers: req.headers, headersDistinct: req.headersDistinct, body },
      { region, service: 'bedrock', credentialsByKeyId, maxClockSkewMs: options.maxClockSkewMs ?? 5 * 60_000, now: clock() },
    );
    return verdict.valid
      ? { scheme: 'sigv4', accepted: true, accessKeyId: verdict.accessKeyId }
      : { scheme: 'sigv4', accepted: false, accessKeyId: verdict.accessKeyId, errorType: verdict.errorType, message: verdict.message };
  }

  function validate(route: Route, body: Buffer): EmulatedError | undefined {
    if (knownModels && route.operation !== 'apply-guardrail' && !knownModels.has(route.modelId)) {
      return new EmulatedError('ValidationException', 'The provided model identifier is invalid.');
    }
    const json = parseJsonObject(body);
    if (!json) {
      return new EmulatedError(
        'ValidationException',
        'Malformed input request: expected type: JSONObject, please reformat your input and try again.',
      );
    }
    const problem = {
      invoke: undefined,
      'invoke-with-response-stream': undefined,
      converse: Array.isArray(json['messages']) ? undefined : 'messages: expected a list',
      'converse-stream': Array.isArray(json['messages']) ? undefined : 'messages: expected a list',
      'count-tokens': json['input'] !== null && typeof json['input'] === 'object' ? undefined : 'input: required',
      'apply-guardrail':
        (json['source'] === 'INPUT' || json['source'] === 'OUTPUT') && Array.isArray(json['content'])
          ? undefined
          : 'source and content: required',
    }[route.operation];
    return problem ? new EmulatedError('ValidationException', `Malformed input request: ${problem}`) : undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const record: RecordedRequest = {
      id: randomUUID(),
      receivedAt: new Date(startedAt),
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.alloc(0),
      outcome: 'pending',
    };
    requests.push(record);
    const aborted = new AbortController();
    res.on('close', () => {
      if (record.outcome === 'pending') record.outcome = res.writableFinished ? 'completed' : 'client-aborted';
      aborted.abort();
    });
    const sendError = (error: EmulatedError) => {
      record.status = error.status;
      writeBedrockError(res, error.status, `${error.type}:${ERROR_NAMESPACE}`, error.message, {
        ...error.headers,
        'x-amzn-requestid': record.id,
      });
    };

    const body = await readBody(req, maxBodyBytes);
    if (!body) {
      res.setHeader('connection', 'close');
      return sendError(new EmulatedError('ValidationException', `Request body exceeds ${maxBodyBytes} bytes`, 413));
    }
    record.body = body;
    const path = record.url.split('?')[0] as string;
    const route = matchRoute(record.method, path);
    if (!(route instanceof EmulatedError)) {
      record.operation = route.operation;
      record.modelId = route.modelId;
    }
    record.auth = await authenticate(req, body);
    if (!record.auth.accepted) {
      const type = record.auth.errorType as BedrockErrorType;
      return sendError(new EmulatedError(type, record.auth.message ?? ''));
    }
    if (route instanceof EmulatedError) return sendError(route);

    const behaviour = behaviours.take(route.operation, route.modelId) ?? {};
    await sleep(behaviour.firstByteDelayMs ?? 0, aborted.signal);
    if (aborted.signal.aborted) return;
    const streaming = STREAMING_OPERATIONS.has(route.operation);
    if (behaviour.cutConnection && !streaming) {
      record.outcome = 'connection-cut';
      res.destroy();
      return;
    }
    if (behaviour.error) {
      const { type, message, status, retryAfterSeconds } = behaviour.error;
      const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
      return sendError(new EmulatedError(type, message ?? `Emulated ${type}`, status ?? BEDROCK_ERROR_STATUS[type], headers));
    }
    const invalid = validate(route, body);
    if (invalid) return sendError(invalid);

    const deltas = replyDeltas(behaviour.replyText ?? options.replyText ?? DEFAULT_REPLY);
    const reply: EmulatedReply = {
      deltas,
      latencyMs: Math.max(1, Date.now() - startedAt),
      usage: {
        inputTokens: estimateInputTokens(body),
        outputTokens: deltas.length,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 0,
        ...behaviour.usage,
      },
    };
    const commonHeaders = { 'x-amzn-requestid': record.id };
    record.status = 200;
    switch (route.operation) {
      case 'invoke':
        return sendBody(res, record, { ...invokeResponseHeaders(reply), ...commonHeaders }, anthropicInvokeBody(reply, route.modelId));
      case 'converse':
        return sendBody(res, record, { 'content-type': 'application/json', ...commonHeaders }, converseBody(reply));
      case 'count-tokens':
        return sendBody(res, record, { 'content-type': 'application/json', ...commonHeaders }, JSON.stringify({ inputTokens: reply.usage.inputTokens }));
      case 'apply-guardrail': {
        const content = (parseJsonObject(body)?.['content'] ?? []) as Array<{ text?: { text?: unknown } }>;
        const texts = content.map((block) => block?.text?.text).filter((text): text is string => typeof text === 'string');
        return sendBody(res, record, { 'content-type': 'application/json', ...commonHeaders }, applyGuardrailBody(texts, options.guardrailBlockedWords ?? []));
      }
      case 'invoke-with-response-stream':
        res.writeHead(200, {
          'content-type': 'application/vnd.amazon.eventstream',
          'x-amzn-bedrock-content-type': 'application/json',
          ...commonHeaders,
        });
        return streamFrames(res, record, anthropicStreamFrames(reply, route.modelId), behaviour, aborted.signal);
      case 'converse-stream':
        res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', ...commonHeaders });
        return streamFrames(res, record, converseStreamFrames(reply), behaviour, aborted.signal);
    }
  }

  async function streamFrames(
    res: ServerResponse,
    record: RecordedRequest,
    frames: readonly Buffer[],
    behaviour: Behaviour,
    signal: AbortSignal,
  ): Promise<void> {
    const sent: Buffer[] = [];
    try {
      await writeFrames(res, record, frames, behaviour, signal, (bytes) => {
        sent.push(bytes);
        return bytes;
      });
    } finally {
      record.responseBody = Buffer.concat(sent);
    }
  }

  async function writeFrames(
    res: ServerResponse,
    record: RecordedRequest,
    frames: readonly Buffer[],
    behaviour: Behaviour,
    signal: AbortSignal,
    send: (bytes: Buffer) => Buffer,
  ): Promise<void> {
    const chunkDelayMs = behaviour.chunkDelayMs ?? options.chunkDelayMs ?? 0;
    const at = (fault: { afterFrames?: number } | undefined) =>
      fault ? Math.min(fault.afterFrames ?? 0, frames.length) : Number.POSITIVE_INFINITY;
    const exceptionAt = at(behaviour.streamException);
    const cutAt = at(behaviour.cutConnection);
    const corruptAt = at(behaviour.corruptFrame);
    for (let index = 0; index <= frames.length; index++) {
      if (index > 0 && chunkDelayMs > 0 && index < frames.length) await sleep(chunkDelayMs, signal);
      if (signal.aborted) return;
      const frame = frames[index];
      if (index === cutAt) {
        if (behaviour.cutConnection?.midFrame && frame) res.write(send(frame.subarray(0, frame.length >> 1)));
        record.outcome = 'connection-cut';
        // Let the half frame reach the socket before the reset.
        setImmediate(() => res.destroy());
        return;
      }
      if (index === exceptionAt) {
        const { type, message } = behaviour.streamException ?? { type: 'internalServerException' as const };
        res.end(send(encodeExceptionFrame(type, message ?? `Emulated ${type}`)));
        return;
      }
      if (index === corruptAt) {
        const corrupt = Buffer.from(frame ?? encodeExceptionFrame('internalServerException', 'corrupt'));
        corrupt[corrupt.length - 5] = (corrupt[corrupt.length - 5] as number) ^ 0xff;
        res.end(send(corrupt));
        return;
      }
      if (!frame) break;
      if (!res.write(send(frame))) await once(res, 'drain', { signal }).catch(() => undefined);
    }
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      if (!res.destroyed) writeBedrockError(res, 500, `InternalServerException:${ERROR_NAMESPACE}`, `Emulator failure: ${message}`);
    });
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    region,
    requests,
    inject: (behaviour) => behaviours.add(behaviour),
    reset: () => {
      requests.length = 0;
      behaviours.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function sendBody(res: ServerResponse, record: RecordedRequest, headers: Record<string, string>, body: string): void {
  record.responseBody = Buffer.from(body, 'utf8');
  res.writeHead(200, { ...headers, 'content-length': record.responseBody.length });
  res.end(record.responseBody);
}
