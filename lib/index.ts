/**
 * bedrock-passthrough: an embeddable Amazon Bedrock gateway for Express/Connect apps.
 *
 * ```ts
 * import express from 'express';
 * import { createBedrockPassthrough, loadConfig } from 'bedrock-passthrough';
 *
 * const app = express();
 * app.use('/bedrock', createBedrockPassthrough(loadConfig('config.yaml')));
 * app.listen(4000);
 * ```
 *
 * This module is the whole public surface; everything else under `lib/` is internal.
 * @packageDocumentation
 */
export { createBedrockPassthrough } from './express';
export type { BedrockPassthrough } from './express';
export { createBedrockHandler, REQUEST_ID_HEADER } from './handler';
export { ATTEMPTS_HEADER, COST_HEADER, DEPLOYMENT_HEADER, OVERHEAD_HEADER } from './routing/router';
export type { SpendReport, SpendRow, SpendTable, SpendTotals } from './tracking/spend-table';
export type { MetricsOptions } from './metrics/prometheus';
export type { PrometheusRegistry } from './metrics/types';
export type { TracingOptions } from './tracing/otel';
export type { TokenUsage } from './usage/types';
export { MemoryStore } from './state/memory-store';
export { createRedisStore, StoreUnavailableError } from './state/redis-store';
export type { RedisStore, RedisStoreOptions, RedisFailureMode } from './state/redis-store';
export type { BedrockHandler, HostOptions, ReloadSummary } from './handler';
export type { ConfigSource } from './config/source';
export { ConfigError, loadConfig, resolveConfig } from './config/load';
export type { Environment, LoadConfigOptions } from './config/load';
export type {
  BedrockSettings,
  GatewayConfig,
  GeneralSettings,
  KeyConfig,
  LitellmParams,
  ModelDeploymentConfig,
  ModelInfo,
  RouterSettings,
} from './config/types';
export { GatewayError } from './errors';
export { answerClientError, answerUnmetExpectation } from './http/client-errors';
export { MODEL_OPERATIONS } from './operations';
export type { OperationName } from './operations';
export { createJsonLogger } from './logging/default-logger';
export type { LogLevel } from './logging/default-logger';
export type {
  AttemptOutcome,
  AttemptRecord,
  AuthenticateFunction,
  Authenticator,
  Balancer,
  CostTracker,
  CredentialsProvider,
  Deployment,
  ExpiringCredentials,
  HookRequest,
  Hooks,
  InboundRequest,
  KeyLimits,
  KeySource,
  Logger,
  PassthroughOptions,
  PickContext,
  PickFunction,
  Principal,
  Store,
  StoreHealth,
  UsageRecord,
  WindowAdmission,
} from './types';
export { signRequest, isNeverSigned } from './aws/sigv4';
export type { AwsCredentials, RequestToSign, SigningParams, SigningHeaders, SignableHeaderValue } from './aws/sigv4';
export { EventStreamDecoder, EventStreamError, encodeEventStreamMessage } from './aws/eventstream';
export type {
  EventStreamErrorCode,
  EventStreamFrame,
  EventStreamHeaderValue,
  EventStreamHeaders,
  EventStreamLimits,
  EventStreamMessage,
} from './aws/eventstream';
