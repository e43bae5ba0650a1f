/**
 * A local Bedrock server for tests: Bedrock Runtime and Bedrock Agent Runtime on one port. It verifies SigV4 with
 * the AWS SDK's signer (or accepts Bedrock API keys), answers in the services' wire shapes, fails on command, and
 * records every request.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeBedrockError, type BedrockErrorType } from '../aws/bedrock-errors';
import type { AwsCredentials } from '../aws/sigv4';
import { constantTimeEqual } from '../util/constant-time';
import { answer, type Answer } from './answers';
import { AsyncInvokeStore, type AsyncInvokeJobs } from './async-invokes';
import { BehaviourQueue, type Behaviour } from './behaviours';
import { EmulatedError, errorStatus, type EmulatedService } from './emulated-error';
import { parseJsonObject } from './json-values';
import { DEFAULT_KNOWLEDGE_BASE_DOCUMENTS, type KnowledgeBaseDocument } from './knowledge-base-responses';
import { estimateInputTokens, replyDeltas, type EmulatedReply } from './model-responses';
import { matchOperation, namedResources, STREAMING_OPERATIONS, type EmulatedOperation } from './operations';
import { verifySignatureWithReference, type SignatureVerdict } from './reference-sigv4';
import { sleep } from './sleep';
import { writeBody, type BodyFaults } from './body-writer';
import { writeFrames, type StreamFaults } from './stream-writer';
import { validateRequest } from './validation';

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
  /** The emulator's clock, for signature-time checks and async invocations' times. Default: the system clock. */
  readonly clock?: () => Date;
  /** Model ids it knows; others get Bedrock's invalid-model error. Default: any model id. */
  readonly models?: readonly string[];
  /** The models' answer. Default: a short fixed sentence. */
  readonly replyText?: string;
  /** Wait between stream frames, for every call. Default 0. */
  readonly chunkDelayMs?: number;
  /**
   * Words that make guardrails intervene: ApplyGuardrail, InvokeGuardrailChecks' content filter, and the
   * guardrails configured on Retrieve and RetrieveAndGenerate. Default: none.
   */
  readonly guardrailBlockedWords?: readonly string[];
  /** The account in the ARNs it makes (async invocations). Default `123456789012`. */
  readonly accountId?: string;
  /**
   * How long an async invocation stays `InProgress` before it is `Completed`, measured on {@link clock}.
   * Default 100 ms; `Infinity` to end them only on command ({@link BedrockEmulator.asyncInvokes}).
   */
  readonly asyncInvokeDurationMs?: number;
  /** The passages every knowledge base holds (Retrieve, RetrieveAndGenerate). Default: five sentences about Bedrock. */
  readonly knowledgeBaseDocuments?: readonly KnowledgeBaseDocument[];
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
  /**
   * The model the call runs: the model id of the path (percent-decoded once) or of StartAsyncInvoke's body, the
   * `modelArn` of Rerank and RetrieveAndGenerate bodies; and, for ApplyGuardrail, the guardrail id.
   */
  modelId?: string | undefined;
  /**
   * The one resource the call names, decoded: the model id (model operations, StartAsyncInvoke, Rerank's model
   * ARN), the guardrail id, the knowledge base id (Retrieve's path; RetrieveAndGenerate's
   * `retrieveAndGenerateConfiguration.knowledgeBaseConfiguration.knowledgeBaseId`), the agent id, or the async
   * invocation's ARN. Undefined for InvokeGuardrailChecks and ListAsyncInvokes.
   */
  resourceId?: string | undefined;
  /** The path's labels by their names in the service model (`agentId`, `agentAliasId`, `sessionId`...), percent-decoded once. */
  pathParameters?: Readonly<Record<string, string>> | undefined;
  auth?: RecordedAuth | undefined;
  status?: number | undefined;
  /**
   * The bytes of a successful answer as sent (stream frames included), to prove a proxy passed them unchanged; set
   * once the answer ends. Padding (`padToBytes`) is left out.
   */
  responseBody?: Buffer | undefined;
  /**
   * Bytes of the answer handed to the connection so far, padding included, counted as they go: a stream whose
   * reader holds back (backpressure) stops growing here.
   */
  bytesWritten: number;
  /** `client-aborted`: the client went away before the answer was complete. `connection-cut`: a fault cut it. */
  outcome: 'pending' | 'completed' | 'client-aborted' | 'connection-cut';
}

/** A running emulator. */
export interface BedrockEmulator {
  /** Base URL to use as the Bedrock Runtime and the Bedrock Agent Runtime endpoint (`http://127.0.0.1:PORT`). */
  readonly url: string;
  readonly port: number;
  readonly region: string;
  /** Every request received, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Queues a behaviour for the next matching call(s). */
  inject(behaviour: Behaviour): void;
  /** The async invocations started so far: to read them, and to complete or fail them on command. */
  readonly asyncInvokes: AsyncInvokeJobs;
  /** Forgets recorded requests, queued behaviours and async invocations. */
  reset(): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

const DEFAULT_REPLY = 'Hello from the Bedrock emulator. This answer is canned.';
const DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024;
const DEFAULT_ASYNC_INVOKE_DURATION_MS = 100;
const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.bedrock/';

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

  const asyncInvokes = new AsyncInvokeStore({
    region,
    accountId: options.accountId ?? '123456789012',
    clock,
    durationMs: options.asyncInvokeDurationMs ?? DEFAULT_ASYNC_INVOKE_DURATION_MS,
  });
  const knowledgeBases = {
    corpus: options.knowledgeBaseDocuments ?? DEFAULT_KNOWLEDGE_BASE_DOCUMENTS,
    blockedWords: options.guardrailBlockedWords ?? [],
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const record: RecordedRequest = {
      id: randomUUID(),
      receivedAt: new Date(startedAt),
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.alloc(0),
      bytesWritten: 0,
      outcome: 'pending',
    };
    requests.push(record);
    const aborted = new AbortController();
    res.on('close', () => {
      if (record.outcome === 'pending') record.outcome = res.writableFinished ? 'completed' : 'client-aborted';
      aborted.abort();
    });
    // Until the call is matched to an operation, errors take Bedrock Runtime's statuses.
    let service: EmulatedService = 'bedrock-runtime';
    const sendError = (error: EmulatedError) => {
      record.status = error.status ?? errorStatus(error.type, service);
      writeBedrockError(res, record.status, `${error.type}:${ERROR_NAMESPACE}`, error.message, {
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
    const queryAt = record.url.indexOf('?');
    const path = queryAt === -1 ? record.url : record.url.slice(0, queryAt);
    const matched = matchOperation(record.method, path);
    const json = parseJsonObject(body);
    const call = matched instanceof EmulatedError ? undefined : { ...matched, ...namedResources(matched, json) };
    if (call) {
      record.operation = call.operation;
      record.modelId = call.modelId;
      record.resourceId = call.resourceId;
      record.pathParameters = call.pathParameters;
      service = call.service;
    }
    record.auth = await authenticate(req, body);
    if (!record.auth.accepted) {
      const type = record.auth.errorType as BedrockErrorType;
      return sendError(new EmulatedError(type, record.auth.message ?? ''));
    }
    if (!call) return sendError(matched as EmulatedError);

    const behaviour = behaviours.take(call) ?? {};
    await sleep(behaviour.firstByteDelayMs ?? 0, aborted.signal);
    if (aborted.signal.aborted) return;
    const streaming = STREAMING_OPERATIONS.has(call.operation);
    if (behaviour.cutConnection && !behaviour.cutConnection.midBody && !streaming) {
      record.outcome = 'connection-cut';
      res.destroy();
      return;
    }
    if (behaviour.error) {
      const { type, message, status, retryAfterSeconds } = behaviour.error;
      const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
      const error = new EmulatedError(type, message ?? `Emulated ${type}`, status, headers);
      if (!behaviour.cutConnection?.midBody) return sendError(error);
      // The error's head and half its JSON, then a reset: an error answer that breaks off.
      record.status = error.status ?? errorStatus(error.type, service);
      record.outcome = 'connection-cut';
      const errorBody = Buffer.from(JSON.stringify({ message: error.message }));
      res.writeHead(record.status, {
        ...error.headers,
        'content-type': 'application/json',
        'content-length': errorBody.length,
        'x-amzn-errortype': `${error.type}:${ERROR_NAMESPACE}`,
        'x-amzn-requestid': record.id,
      });
      res.write(errorBody.subarray(0, errorBody.length >> 1));
      setImmediate(() => res.destroy());
      return;
    }
    const invalid = validateRequest({ operation: call.operation, modelId: call.modelId, json }, knownModels);
    if (invalid) return sendError(invalid);

    const result = answer({
      call,
      json: json ?? {},
      query: new URLSearchParams(queryAt === -1 ? '' : record.url.slice(queryAt + 1)),
      reply: emulatedReply(behaviour.replyText ?? options.replyText ?? DEFAULT_REPLY, behaviour, body, startedAt),
      guardrailBlockedWords: options.guardrailBlockedWords ?? [],
      knowledgeBases,
      asyncInvokes,
    });
    if (result instanceof EmulatedError) return sendError(result);
    const faults = { ...behaviour, chunkDelayMs: behaviour.chunkDelayMs ?? options.chunkDelayMs ?? 0 };
    await sendAnswer(res, record, result, faults, aborted.signal);
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
    asyncInvokes,
    reset: () => {
      requests.length = 0;
      behaviours.clear();
      asyncInvokes.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The answer's text and usage: the behaviour's counts, else output tokens one per word and input tokens estimated. */
function emulatedReply(text: string, behaviour: Behaviour, body: Buffer, startedAt: number): EmulatedReply {
  const deltas = replyDeltas(text);
  return {
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
}

/** Sends a successful answer, a body or a stream, with its faults, and records the bytes sent. */
async function sendAnswer(
  res: ServerResponse,
  record: RecordedRequest,
  result: Answer,
  faults: StreamFaults & BodyFaults,
  signal: AbortSignal,
): Promise<void> {
  const headers = { ...result.headers, 'x-amzn-requestid': record.id };
  record.status = 200;
  const sent: Buffer[] = [];
  const onSent = (bytes: Buffer, padding = false) => {
    record.bytesWritten += bytes.length;
    if (!padding) sent.push(bytes);
  };
  try {
    let ending: 'ended' | 'connection-cut';
    if (result.kind === 'body') {
      ending = await writeBody(res, headers, Buffer.from(result.body, 'utf8'), faults, signal, onSent);
    } else {
      res.writeHead(200, headers);
      ending = await writeFrames(res, result.frames, faults, signal, onSent);
    }
    if (ending === 'connection-cut') record.outcome = 'connection-cut';
  } finally {
    record.responseBody = Buffer.concat(sent);
  }
}
