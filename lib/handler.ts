/**
 * The gateway's core: a plain Node `(req, res)` handler, framework-free, that the Express adapter and the CLI
 * both serve. One request flows one way: route → authenticate → resolve model → pick deployment → sign →
 * upstream → stream back.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { authorize, createConfigKeyAuthenticator } from './auth/config-keys';
import { createBalancer } from './balancer';
import { createSimpleShuffle } from './balancer/simple-shuffle';
import { resolveConfig } from './config/load';
import type { GatewayConfig } from './config/types';
import { GatewayError, sendGatewayError } from './errors';
import { ClientGoneError, readRequestBody } from './http/body';
import { forwardedRequestHeaders, type ForwardingRules } from './http/headers';
import { SILENT_LOGGER } from './logging/default-logger';
import { redactingLogger } from './logging/redaction';
import { ModelCatalog, type DeploymentTarget } from './models';
import { ResourceCatalog } from './resources';
import { matchRoute, type RouteDefinition } from './routes';
import { AsyncInvokeDirectory } from './routing/async-invokes';
import { decodeParams, namedInPath, TargetResolver } from './targets';
import { Cooldowns } from './routing/cooldowns';
import { Router, type RouteResult, type RoutingSettings } from './routing/router';
import { RouterStats } from './routing/stats';
import { KeyLimiter, type AdmissionTicket } from './limits/key-limiter';
import { MemoryStore } from './state/memory-store';
import { storeFromConfig } from './state/from-config';
import { SharedDeploymentState } from './routing/shared-state';
import { createAdminHandler, createRecentErrorLog } from './admin';
import { createAdminData } from './admin-data';
import { totalTokens } from './usage/extractor';
import { createPrometheusMetrics } from './metrics/prometheus';
import { createTracing, type RequestTrace } from './tracing/otel';
import { createAccounting } from './tracking/accounting';
import { createSpendTable, type SpendTable } from './tracking/spend-table';
import { createReporter } from './tracking/reporter';
import type { Authenticator, Balancer, Deployment, HookRequest, Hooks, Logger, PassthroughOptions, Principal, UsageRecord } from './types';
import { createUpstreamAgent } from './upstream/agent';

/** Header on every response: the id of this request in the gateway's logs and records. */
export const REQUEST_ID_HEADER = 'x-bedrock-passthrough-request-id';

const DEFAULT_MAX_REQUEST_SIZE_MB = 20;
/** LiteLLM's defaults. */
const DEFAULT_NUM_RETRIES = 2;
const DEFAULT_TIMEOUT_S = 600;
const DEFAULT_ALLOWED_FAILS = 3;
const DEFAULT_COOLDOWN_S = 30;

/** The core handler, plus what a server built on it needs. */
export interface BedrockHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** The same, on `node:http2`'s compatibility API. */
  (req: Http2ServerRequest, res: Http2ServerResponse): void;
  /** The deployments it routes to, without credentials (for health and readiness reports). */
  readonly deployments: readonly Deployment[];
  /** Spend and tokens so far, by day, key and model group (this instance, in memory). */
  readonly spend: SpendTable;
  /** Writes the spend table's last counts and closes the upstream connection pool; in-flight requests finish first. */
  close(): Promise<void>;
}

/** What one request became, for its record. */
interface RequestState {
  readonly requestId: string;
  /** `performance.now()` at arrival, for durations. */
  readonly startedAt: number;
  /** The gateway clock at arrival, for the record's time. */
  readonly arrivedAt: number;
  route?: RouteDefinition;
  body?: Buffer;
  annotations?: Readonly<Record<string, unknown>> | undefined;
  trace?: RequestTrace;
  admission?: AdmissionTicket;
  modelName?: string;
  principal?: Principal;
  result?: RouteResult;
  status?: number;
  errorType?: string;
  outcome: UsageRecord['outcome'];
}

function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Whether the body is `{...}`, blanks around it allowed: the shape of a JSON object, not a proof of one. */
function looksLikeJsonObject(body: Buffer): boolean {
  let first = 0;
  let last = body.length - 1;
  while (first <= last && isJsonBlank(body[first] as number)) first++;
  while (last > first && isJsonBlank(body[last] as number)) last--;
  return last > first && body[first] === OPEN_BRACE && body[last] === CLOSE_BRACE;
}

function isJsonBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function publicView(deployment: DeploymentTarget): Deployment {
  const { id, modelName, modelId, region, endpoint, weight, rpm, tpm } = deployment;
  return { id, modelName, modelId, region, endpoint, weight, rpm, tpm };
}

function routingSettings(config: GatewayConfig): RoutingSettings {
  const router = config.router_settings ?? {};
  return {
    numRetries: router.num_retries ?? DEFAULT_NUM_RETRIES,
    timeoutMs: (router.timeout ?? DEFAULT_TIMEOUT_S) * 1000,
    streamTimeoutMs: router.stream_timeout === undefined ? undefined : router.stream_timeout * 1000,
    fallbacks: new Map((router.fallbacks ?? []).flatMap((entry) => Object.entries(entry))),
  };
}

/**
 * Creates the gateway's core handler for `node:http`, HTTP/2's compatibility API or any framework that hands
 * over Node's request and response. Validates the config first and throws a `ConfigError` listing every problem.
 */
export function createBedrockHandler(options: PassthroughOptions): BedrockHandler {
  const {
    auth,
    keySource,
    balancer,
    costTracker,
    logger: givenLogger,
    credentials,
    mountPath,
    store,
    clock,
    hooks,
    logBodies,
    metrics: metricsOptions,
    tracing: tracingOptions,
    ...rawConfig
  } = options;
  const now = clock ?? Date.now;
  const config: GatewayConfig = resolveConfig(rawConfig, {
    warn: (message) => (givenLogger ?? SILENT_LOGGER).warn({}, message),
    externalAuth: auth !== undefined || keySource !== undefined,
  });
  const logger = redactingLogger(givenLogger ?? SILENT_LOGGER, configuredSecrets(config));
  const catalog = new ModelCatalog(config, { credentials });
  const stats = new RouterStats(now);
  const agent = createUpstreamAgent();
  // A store of our own making (Redis from router_settings) is ours to close; a host's is the host's.
  const ownStore = store ? undefined : storeFromConfig(config.router_settings, logger, now);
  const sharedStore = store ?? ownStore;
  const sharedState = sharedStore ?? new MemoryStore(now);
  const authenticator: Authenticator =
    typeof auth === 'function' ? { authenticate: auth } : (auth ?? createConfigKeyAuthenticator(config, sharedState, keySource, now));
  const asyncInvokes = new AsyncInvokeDirectory(sharedState, catalog, logger);
  const targets = new TargetResolver(catalog, new ResourceCatalog(config), asyncInvokes);
  const spend = createSpendTable(sharedState, logger);
  const limiter = new KeyLimiter(sharedState, now, logger);
  const cooldowns = new Cooldowns(
    sharedState,
    {
      allowedFails: config.router_settings?.allowed_fails ?? DEFAULT_ALLOWED_FAILS,
      cooldownMs: (config.router_settings?.cooldown_time ?? DEFAULT_COOLDOWN_S) * 1000,
    },
    now,
  );
  const deploymentIds = catalog.groups.flatMap((group) => group.deployments.map((deployment) => deployment.id));
  const shared = sharedStore ? new SharedDeploymentState(sharedState, deploymentIds, stats, cooldowns, now, logger) : undefined;
  const router = new Router({
    agent,
    accounting: createAccounting(logger),
    balancer: typeof balancer === 'function' ? { pick: balancer } : (balancer ?? builtInBalancer(config, stats, logger)),
    stats,
    cooldowns,
    shared,
    catalog,
    settings: routingSettings(config),
    logger,
    now,
    random: Math.random,
  });
  const deployments = catalog.groups.flatMap((group) => group.deployments.map(publicView));
  const metrics =
    metricsOptions &&
    createPrometheusMetrics({
      ...metricsOptions,
      cooldowns: () => deployments.map((deployment) => ({ deploymentId: deployment.id, modelName: deployment.modelName, coolingDown: cooldowns.isCoolingDown(deployment.id) })),
    });
  const tracing = tracingOptions ? createTracing(tracingOptions) : undefined;
  const recentErrors = createRecentErrorLog();
  const report = createReporter({ logger, consumers: [spend, costTracker, metrics, recentErrors], hooks });
  const masterKey = config.general_settings?.master_key;
  const admin = masterKey
    ? createAdminHandler({
        masterKey,
        keyHeaderName: config.general_settings?.key_header_name,
        logger,
        data: createAdminData({ config, deployments, stats, cooldowns, limiter, spend, recentErrors }),
      })
    : undefined;
  const maxBodyBytes = Math.floor((config.general_settings?.max_request_size_mb ?? DEFAULT_MAX_REQUEST_SIZE_MB) * 1024 * 1024);
  const keyHeader = config.general_settings?.key_header_name?.toLowerCase();
  const forwarding: ForwardingRules = {
    allowed: new Set((config.bedrock_settings?.forward_headers ?? []).map((name) => name.toLowerCase())),
    keyHeader,
  };
  const prefix = mountPath?.replace(/\/+$/, '') ?? '';

  async function handle(req: IncomingMessage, res: ServerResponse, state: RequestState): Promise<void> {
    const clientGone = new AbortController();
    res.once('close', () => {
      // Not writableFinished: HTTP/2's compatibility API reports a stream the client reset as finished.
      if (!res.writableEnded) {
        state.outcome = 'client-aborted';
        clientGone.abort(new ClientGoneError('the client went away'));
      }
    });

    const target = req.url ?? '/';
    const path = pathBelowMount(target, prefix);
    const method = req.method ?? 'GET';
    const match = matchRoute(method, path);
    if ('kind' in match) {
      if (match.kind === 'wrong-method') {
        throw new GatewayError('UnknownOperationException', `${method} is not supported here; use ${match.allowed}.`, 405, {
          allow: match.allowed,
        });
      }
      throw new GatewayError('UnknownOperationException', `No Bedrock operation at ${method} ${path}.`);
    }
    const { route } = match;
    state.route = route;
    if (tracing) state.trace = tracing.begin(req.headers);
    const params = decodeParams(match.params);

    let bodyRead: Promise<Buffer> | undefined;
    const readBody = () => (bodyRead ??= readRequestBody(req, maxBodyBytes));
    const principal = await authenticateRequest(authenticator, {
      method,
      path,
      headers: req.headers,
      // A getter: node:http builds headersDistinct on first read, which only a SigV4 check needs.
      get headersDistinct() {
        return req.headersDistinct;
      },
      // Express strips its mount path from req.url; a SigV4 signature covers the path as the client sent it.
      target: (req as { originalUrl?: string }).originalUrl ?? target,
      operation: route.operation,
      model: namedInPath(route, params),
      body: readBody,
    });
    state.principal = principal;

    const body = await readBody();
    state.body = body;
    // Parsed only when the request names its model or resource in the body; otherwise a glance at its first and last
    // bytes refuses what is plainly not a JSON object, and Bedrock judges the rest (a 200 KB Converse body is not
    // parsed for nothing).
    const namesInBody = route.subject !== undefined && 'member' in route.subject;
    const json = namesInBody ? parseJsonObject(body) : undefined;
    if (route.jsonBody && !(namesInBody ? json : looksLikeJsonObject(body))) {
      throw new GatewayError('ValidationException', 'Malformed input request: the body must be a JSON object.');
    }
    const queryAt = target.indexOf('?');
    const resolved = await targets.resolve({ route, params, body, json, query: queryAt === -1 ? undefined : target.slice(queryAt + 1) });
    const { group } = resolved;
    state.modelName = group.modelName;
    authorize(principal, { operation: route.operation, modelName: resolved.followsModel ? group.modelName : undefined, resource: resolved.resource }, now());

    if (hooks?.onRequest) {
      state.annotations = await runOnRequest(hooks.onRequest, {
        requestId: state.requestId,
        operation: route.operation,
        model: resolved.named,
        modelName: group.modelName,
        principal,
        headers: req.headers,
        body,
      }, logger);
    }
    state.admission = await limiter.admit(principal, state.requestId);
    const result = await router.route({
      requestId: state.requestId,
      route,
      group,
      principal,
      upstream: resolved.upstream,
      fallbacks: resolved.followsModel,
      forwarded: forwardedRequestHeaders(req.headers, forwarding, route.requestHeaders),
      res,
      clientGone: clientGone.signal,
    });
    if (route.operation === 'start-async-invoke' && result.served && result.plainBody && result.status === 200) {
      await asyncInvokes.remember(result.plainBody, result.served);
    }
    state.result = result;
    state.status = result.status;
    state.errorType = result.errorType;
    if (result.outcome !== 'completed') state.outcome = result.outcome;
  }

  function finish(state: RequestState, res: ServerResponse): void {
    const route = state.route;
    if (!route) return;
    const result = state.result;
    const served = result?.served;
    const lastAttempt = result?.attempts.at(-1);
    const latencyMs = performance.now() - state.startedAt;
    const record: UsageRecord = {
      requestId: state.requestId,
      time: new Date(state.arrivedAt),
      keyId: state.principal?.keyId,
      keyName: state.principal?.keyName,
      operation: route.operation,
      modelName: state.modelName ?? '',
      // The deployment that answered: the one that served, else the last one tried (its error is what the client got).
      deploymentId: served?.id ?? lastAttempt?.deploymentId,
      modelId: served?.modelId ?? lastAttempt?.modelId,
      region: served?.region ?? lastAttempt?.region,
      streamed: route.streams,
      status: state.status ?? res.statusCode,
      outcome: state.outcome,
      errorType: state.errorType,
      latencyMs,
      timeToFirstByteMs: result?.timeToFirstByteMs,
      overheadMs: Math.max(0, latencyMs - (result?.waitingMs ?? 0)),
      usage: result?.usage,
      usageComplete: result?.usageComplete ?? false,
      costUsd: result?.costUsd ?? null,
      attempts: result?.attempts ?? [],
      annotations: state.annotations,
    };
    state.admission?.release(totalTokens(record.usage), record.costUsd).catch(() => undefined);
    report(record, logBodies ? loggedBodies(state.body, result?.plainBody) : undefined);
    if (tracing && state.trace) tracing.end(state.trace, record);
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (admin) {
      // The admin API makes no usage record: it is not a Bedrock call.
      const path = pathBelowMount(req.url ?? '/', prefix);
      if (path === '/admin' || path.startsWith('/admin/')) {
        res.setHeader(REQUEST_ID_HEADER, randomUUID());
        return admin(req, res, path.slice('/admin'.length));
      }
    }
    const state: RequestState = { requestId: randomUUID(), startedAt: performance.now(), arrivedAt: now(), outcome: 'completed' };
    res.setHeader(REQUEST_ID_HEADER, state.requestId);
    handle(req, res, state)
      .catch((error: unknown) => {
        if (error instanceof ClientGoneError || state.outcome === 'client-aborted') {
          state.outcome = 'client-aborted';
          return;
        }
        const gatewayError =
          error instanceof GatewayError
            ? error
            : new GatewayError('InternalServerException', `Internal gateway error (request ${state.requestId}).`);
        if (!(error instanceof GatewayError)) logger.error({ requestId: state.requestId, error: String(error) }, 'unexpected failure');
        state.status = gatewayError.status;
        state.errorType = gatewayError.type;
        sendGatewayError(res, gatewayError);
      })
      .finally(() => finish(state, res));
  };

  // HTTP/2's compatibility objects offer all the handler uses of node:http's (it reads headersDistinct as optional).
  const onEitherProtocol = handler as ((req: IncomingMessage, res: ServerResponse) => void) & ((req: Http2ServerRequest, res: Http2ServerResponse) => void);
  return Object.assign(onEitherProtocol, {
    deployments,
    spend,
    close: async () => {
      metrics?.close();
      await spend.flush();
      await agent.close();
      await ownStore?.close();
    },
  });
}

/** The strategy `router_settings.routing_strategy` names; one not built in falls back to `simple-shuffle`, loudly. */
function builtInBalancer(config: GatewayConfig, stats: RouterStats, logger: Logger): Balancer {
  const strategy = config.router_settings?.routing_strategy;
  const balancer = createBalancer(strategy, stats);
  if (balancer) return balancer;
  logger.warn({ strategy }, `routing_strategy '${strategy}' is not supported; using simple-shuffle`);
  return createSimpleShuffle();
}

/** The request path without its query, below the handler's mount path (when it is served under one). */
function pathBelowMount(url: string, prefix: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  return prefix && (path === prefix || path.startsWith(`${prefix}/`)) ? path.slice(prefix.length) : path;
}

/** Every secret the config holds, for redaction from logs. */
function configuredSecrets(config: GatewayConfig): Array<string | undefined> {
  const secrets: Array<string | undefined> = [
    config.general_settings?.master_key,
    ...(config.keys ?? []).flatMap((key) => [key.key, key.secret_access_key]),
  ];
  for (const source of [config.bedrock_settings, ...config.model_list.map((entry) => entry.litellm_params)]) {
    secrets.push(source?.aws_secret_access_key, source?.aws_session_token, (source as { api_key?: string } | undefined)?.api_key);
  }
  return secrets;
}

const LOGGED_BODY_BYTES = 32 * 1024;

/** The bodies a host opted in to log, as text, cut at {@link LOGGED_BODY_BYTES}. */
function loggedBodies(request: Buffer | undefined, response: Buffer | undefined): Record<string, string> {
  const text = (body: Buffer) => body.subarray(0, LOGGED_BODY_BYTES).toString('utf8');
  return { ...(request ? { request_body: text(request) } : {}), ...(response ? { response_body: text(response) } : {}) };
}

/** Runs `onRequest`: a GatewayError refuses the request; any other exception is logged and the request goes on. */
async function runOnRequest(
  onRequest: NonNullable<Hooks['onRequest']>,
  request: HookRequest,
  logger: Logger,
): Promise<Readonly<Record<string, unknown>> | undefined> {
  try {
    return (await onRequest(request)) ?? undefined;
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    logger.error({ requestId: request.requestId, error: String(error) }, 'onRequest hook failed');
    return undefined;
  }
}

async function authenticateRequest(authenticator: Authenticator, request: Parameters<Authenticator['authenticate']>[0]): Promise<Principal> {
  try {
    return await authenticator.authenticate(request);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // A host authenticator's own failure says nothing the client should read.
    throw new GatewayError('AccessDeniedException', 'Access denied.');
  }
}
