/**
 * The gateway's extension points. Every one is optional and has a built-in default; a host passes its own
 * beside the config: `createBedrockPassthrough({ ...config, auth, balancer, costTracker, logger, credentials })`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AwsCredentials } from './aws/sigv4';
import type { GatewayConfig, KeyConfig } from './config/types';
import type { MetricsOptions } from './metrics/prometheus';
import type { TracingOptions } from './tracing/otel';
import type { OperationName } from './operations';
import type { Store } from './state/store';
import type { TokenUsage } from './usage/types';

/** A pino-compatible logger: an object of fields first, then an optional message. */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** What an {@link Authenticator} sees of a request. */
export interface InboundRequest {
  readonly method: string;
  /** The path below the mount point, as received (`/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse`). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Each header's values, one per line received, when the server keeps them (Node's `headersDistinct`). */
  readonly headersDistinct?: Readonly<Record<string, string[] | undefined>> | undefined;
  /** The request target exactly as the client sent it: the full path, mount point included, and the query. */
  readonly target: string;
  readonly operation: OperationName;
  /**
   * What the request names, percent-decoded once: the `{model}` path segment (or StartAsyncInvoke's `modelId`), the
   * guardrail, knowledge base or agent id; empty for operations that name nothing (ListAsyncInvokes, Rerank).
   */
  readonly model: string;
  /** Reads the body (once; later calls share the first read). Authenticators that sign over the body need it. */
  body(): Promise<Buffer>;
}

/** Who is calling, and what they may do. */
export interface Principal {
  /** A stable id for records and limits; never the secret. */
  readonly keyId: string;
  /** A human label. */
  readonly keyName: string;
  /** Model groups this caller may use; undefined for all. */
  readonly models?: readonly string[] | undefined;
  /** Operations this caller may use; undefined for all. */
  readonly operations?: readonly OperationName[] | undefined;
  /** Guardrails this caller may apply, by configured name or id; undefined for all. */
  readonly guardrails?: readonly string[] | undefined;
  /** Knowledge bases this caller may query, by configured name or id; undefined for all. */
  readonly knowledgeBases?: readonly string[] | undefined;
  /** Agents this caller may invoke, by configured name or id; undefined for all. */
  readonly agents?: readonly string[] | undefined;
  /** Anything the host wants carried into logs and records (team, user...). */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /** Rate limits and budget, counted in the store across every instance. */
  readonly limits?: KeyLimits | undefined;
  /** After this time the key is refused (403). */
  readonly expiresAt?: Date | undefined;
  /** A disabled key is refused (403). */
  readonly disabled?: boolean | undefined;
}

/** A key's limits; each is off when undefined. */
export interface KeyLimits {
  readonly rpm?: number | undefined;
  /** Tokens per minute, counted from the answers (input, output and prompt cache). */
  readonly tpm?: number | undefined;
  readonly maxParallelRequests?: number | undefined;
  /** USD per budget period (or in all, without one). */
  readonly maxBudgetUsd?: number | undefined;
  readonly budgetDurationMs?: number | undefined;
}

/**
 * Looks a key up in the host's own database, by the SHA-256 (lowercase hex) of what the client presented, so the
 * host never needs the plain key either. Returns the key in the config's shape (its `key`/`key_sha256` are ignored),
 * or undefined for an unknown key. Answers are kept for 30 seconds.
 */
export type KeySource = (keySha256: string) => Promise<KeyConfig | undefined>;

/**
 * Turns a request into a {@link Principal}, or rejects it by throwing (a {@link GatewayError} to choose the
 * error the client gets; anything else becomes a 403 `AccessDeniedException`).
 */
export interface Authenticator {
  authenticate(request: InboundRequest): Promise<Principal>;
}

/** A function form of {@link Authenticator}. */
export type AuthenticateFunction = (request: InboundRequest) => Promise<Principal>;

/** Where and how one deployment of a model group is called. No secrets. */
export interface Deployment {
  /** `model_info.id`, else a stable id derived from the model id, region and position in `model_list`. */
  readonly id: string;
  /** The group (`model_name`). */
  readonly modelName: string;
  /** The model id sent upstream (or the ARN of `model_id`). */
  readonly modelId: string;
  readonly region: string;
  /** Base URL of Bedrock Runtime for this deployment. */
  readonly endpoint: string;
  /** Relative share of traffic (`weight`, else `rpm`, else `tpm`, else 1). */
  readonly weight: number;
  readonly rpm?: number | undefined;
  readonly tpm?: number | undefined;
}

/** What a {@link Balancer} knows about the request it picks for. */
export interface PickContext {
  readonly operation: OperationName;
  readonly modelName: string;
  readonly principal: Principal;
  /** The operation answers with an event stream (time to first byte matters more than total time). */
  readonly streaming: boolean;
}

/** How one attempt on a deployment went, reported back to the balancer. */
export interface AttemptOutcome {
  readonly status: number | undefined;
  /** Milliseconds until the response head (or the failure). */
  readonly latencyMs: number;
  /** Error type when the attempt failed (`ThrottlingException`, `ECONNREFUSED`...). */
  readonly error?: string | undefined;
}

/** Chooses one deployment of a group. */
export interface Balancer {
  pick(candidates: readonly Deployment[], context: PickContext): Deployment | undefined;
  observe?(deployment: Deployment, outcome: AttemptOutcome): void;
}

/** A function form of {@link Balancer}'s `pick`. */
export type PickFunction = Balancer['pick'];

/** AWS credentials with an optional expiry, as AWS SDK providers return them. */
export interface ExpiringCredentials extends AwsCredentials {
  readonly expiration?: Date | undefined;
}

/**
 * Supplies upstream AWS credentials for deployments that set none, such as the AWS SDK's
 * `fromNodeProviderChain()`. Results are cached until five minutes before they expire.
 */
export type CredentialsProvider = () => Promise<ExpiringCredentials>;

/** One record per client request, for cost tracking and logs. */
export interface UsageRecord {
  readonly requestId: string;
  readonly time: Date;
  readonly keyId?: string | undefined;
  readonly keyName?: string | undefined;
  readonly operation: OperationName;
  readonly modelName: string;
  readonly deploymentId?: string | undefined;
  readonly modelId?: string | undefined;
  readonly region?: string | undefined;
  readonly streamed: boolean;
  /** The status the client got; 499 when it left before any answer's head went out. */
  readonly status: number;
  /** `completed`, or how it ended otherwise. */
  readonly outcome: 'completed' | 'client-aborted' | 'upstream-failed';
  readonly errorType?: string | undefined;
  /** Milliseconds from request to the end of the response. */
  readonly latencyMs: number;
  /** Milliseconds from request to the first response byte from upstream. */
  readonly timeToFirstByteMs?: number | undefined;
  /** The gateway's own milliseconds: the latency minus the time spent waiting on Bedrock or pausing between attempts. */
  readonly overheadMs: number;
  /** Tokens of the answer, when it reported them (input excludes prompt-cache reads and writes). */
  readonly usage?: TokenUsage | undefined;
  /** False when the answer ended (client gone, stream broken) before its final usage was reported. */
  readonly usageComplete: boolean;
  /** Cost in USD; null when no tokens were reported or the model's prices are unknown (never a silent 0). */
  readonly costUsd: number | null;
  /** Every upstream attempt, in order, with its outcome; the last `served` one answered the client. */
  readonly attempts: readonly AttemptRecord[];
  /** What the host's `onRequest` hook attached to the request. */
  readonly annotations?: Readonly<Record<string, unknown>> | undefined;
}

/** One upstream attempt of a request. */
export interface AttemptRecord {
  readonly deploymentId: string;
  /** The group the deployment belongs to (a fallback group's name when the request fell back). */
  readonly modelName: string;
  /** The model id sent upstream, and the deployment's region. */
  readonly modelId: string;
  readonly region: string;
  /** Upstream status, when it answered. */
  readonly status?: number | undefined;
  readonly errorType?: string | undefined;
  /** When it was sent, in milliseconds since the epoch (of the gateway's clock). */
  readonly startedAt: number;
  /** Milliseconds to the answer's head (or to the failure). */
  readonly latencyMs: number;
  /** Milliseconds until its last byte reached the client (or the failure). */
  readonly durationMs: number;
  /**
   * `served`: its answer went to the client (`errorType` set if the stream then broke off); `failed`: it failed, and
   * was retried when that was allowed.
   */
  readonly outcome: 'served' | 'failed';
}

/** Receives a {@link UsageRecord} for every request. Must not throw; errors are logged and ignored. */
export interface CostTracker {
  record(usage: UsageRecord): void | Promise<void>;
}

/** What the `onRequest` hook sees of a request about to be routed. */
export interface HookRequest {
  readonly requestId: string;
  readonly operation: OperationName;
  /** What the request named, as the client sent it (decoded): the model, or the guardrail, knowledge base or agent. */
  readonly model: string;
  /** The model group it resolved to (for other operations: the resource's name, or the AWS service's). */
  readonly modelName: string;
  readonly principal: Principal;
  readonly headers: IncomingHttpHeaders;
  /** The request body. Read it only if you must: the gateway never does, except for Converse's JSON check. */
  readonly body: Buffer;
}

/**
 * Hooks into every request. A hook that throws never breaks the client's call (the exception is logged), except
 * `onRequest` throwing a {@link GatewayError}: that is how it refuses a request, with that error.
 */
export interface Hooks {
  /** Before routing. Return fields to attach to the request's record (`annotations`), or throw a GatewayError to refuse it. */
  onRequest?(request: HookRequest): void | Readonly<Record<string, unknown>> | Promise<void | Readonly<Record<string, unknown>>>;
  /** After every request, with its record (as the cost tracker gets it). */
  onResponse?(usage: UsageRecord): void | Promise<void>;
  /** After a request that ended in an error (status 400 or more, or a broken stream), with its record. */
  onError?(usage: UsageRecord): void | Promise<void>;
}

/** The configuration plus the parts a host may inject. */
export interface PassthroughOptions extends GatewayConfig {
  /** Replaces the built-in key check (config `keys` and `general_settings.master_key`). */
  auth?: Authenticator | AuthenticateFunction;
  /** Keys from the host's own database, checked after the config's (with the built-in key check only). */
  keySource?: KeySource;
  /** Replaces the built-in weighted random choice among a group's deployments. */
  balancer?: Balancer | PickFunction;
  costTracker?: CostTracker;
  /** Default: silent. The CLI logs JSON lines on stdout. Configured secrets are redacted from every line. */
  logger?: Logger;
  /**
   * Add the request body and, for plain answers, the response body to each request's log line (32 KiB at most
   * each). Off by default: prompts and completions are your users' data.
   */
  logBodies?: boolean;
  hooks?: Hooks;
  /** Prometheus metrics on the host's registry (needs the optional peer `prom-client`). Default: none. */
  metrics?: MetricsOptions;
  /**
   * OpenTelemetry spans (needs the optional peer `@opentelemetry/api` and a registered SDK): one per request, one
   * child per upstream attempt. Default: none.
   */
  tracing?: TracingOptions;
  /** Upstream credentials for deployments that set none. Default: the standard AWS environment variables. */
  credentials?: CredentialsProvider;
  /**
   * Shared state: key limits and budgets, spend, deployment cooldowns and usage. Default: `router_settings.redis_url`
   * (or `redis_host`...) when set, else this process's memory.
   */
  store?: Store;
  /** The clock, in milliseconds since the epoch, for cooldowns and per-minute limits. Default `Date.now`; for tests. */
  clock?: () => number;
  /**
   * Only for the bare handler on `node:http`: the path prefix it is served under (`/bedrock`). Express and Connect
   * strip the mount path themselves.
   */
  mountPath?: string;
}

export type { Store, StoreHealth, WindowAdmission } from './state/store';
