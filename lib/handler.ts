/**
 * The gateway's core: a plain Node `(req, res)` handler, framework-free, that the Express adapter and the CLI
 * both serve. One request flows one way: route → authenticate → resolve model → pick deployment → sign →
 * upstream → stream back.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { authorize, createConfigKeyAuthenticator } from './auth/config-keys';
import { createBalancer } from './balancer';
import { createSimpleShuffle } from './balancer/simple-shuffle';
import { resolveConfig } from './config/load';
import type { GatewayConfig } from './config/types';
import { GatewayError, sendGatewayError } from './errors';
import { ClientGoneError, readRequestBody } from './http/body';
import { forwardedRequestHeaders, type ForwardingRules } from './http/headers';
import { createJsonLogger } from './logging/default-logger';
import { ModelCatalog, type DeploymentTarget } from './models';
import { matchRoute, type RouteDefinition } from './routes';
import { Cooldowns } from './routing/cooldowns';
import { Router, type RouteResult, type RoutingSettings } from './routing/router';
import { RouterStats } from './routing/stats';
import { MemoryStore } from './state/memory-store';
import type { Authenticator, Balancer, Deployment, Logger, PassthroughOptions, Principal, UsageRecord } from './types';
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
  /** The deployments it routes to, without credentials (for health and readiness reports). */
  readonly deployments: readonly Deployment[];
  /** Closes the upstream connection pool; in-flight requests finish first. */
  close(): Promise<void>;
}

/** What one request became, for its record. */
interface RequestState {
  readonly requestId: string;
  readonly startedAt: number;
  route?: RouteDefinition;
  modelName?: string;
  principal?: Principal;
  result?: RouteResult;
  status?: number;
  errorType?: string;
  outcome: UsageRecord['outcome'];
}

function isJsonObject(body: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
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
  const { auth, balancer, costTracker, logger: givenLogger, credentials, mountPath, store, clock, ...rawConfig } = options;
  const logger = givenLogger ?? createJsonLogger('warn');
  const now = clock ?? Date.now;
  const config: GatewayConfig = resolveConfig(rawConfig, {
    warn: (message) => logger.warn({}, message),
    externalAuth: auth !== undefined,
  });
  const catalog = new ModelCatalog(config, { credentials });
  const authenticator: Authenticator =
    typeof auth === 'function' ? { authenticate: auth } : (auth ?? createConfigKeyAuthenticator(config));
  const stats = new RouterStats(now);
  const agent = createUpstreamAgent();
  const router = new Router({
    agent,
    balancer: typeof balancer === 'function' ? { pick: balancer } : (balancer ?? builtInBalancer(config, stats, logger)),
    stats,
    cooldowns: new Cooldowns(
      store ?? new MemoryStore(now),
      {
        allowedFails: config.router_settings?.allowed_fails ?? DEFAULT_ALLOWED_FAILS,
        cooldownMs: (config.router_settings?.cooldown_time ?? DEFAULT_COOLDOWN_S) * 1000,
      },
      now,
    ),
    catalog,
    settings: routingSettings(config),
    logger,
    now,
    random: Math.random,
  });
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
      if (!res.writableFinished) {
        state.outcome = 'client-aborted';
        clientGone.abort(new ClientGoneError('the client went away'));
      }
    });

    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    let path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (prefix && (path === prefix || path.startsWith(`${prefix}/`))) path = path.slice(prefix.length);
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
    let model: string;
    try {
      model = decodeURIComponent(match.encodedModel);
    } catch {
      throw new GatewayError('ValidationException', 'The provided model identifier is invalid: bad percent-encoding.');
    }

    const principal = await authenticateRequest(authenticator, { method, path, headers: req.headers, operation: route.operation, model });
    state.principal = principal;
    const group = catalog.resolve(model);
    state.modelName = group.modelName;
    authorize(principal, group.modelName, route.operation);

    const body = await readRequestBody(req, maxBodyBytes);
    if (route.jsonBody && !isJsonObject(body)) {
      throw new GatewayError('ValidationException', 'Malformed input request: the body must be a JSON object.');
    }
    const result = await router.route({
      requestId: state.requestId,
      route,
      group,
      principal,
      body,
      forwarded: forwardedRequestHeaders(req.headers, forwarding),
      res,
      clientGone: clientGone.signal,
    });
    state.result = result;
    state.status = result.status;
    state.errorType = result.errorType;
    if (result.outcome !== 'completed') state.outcome = result.outcome;
  }

  function finish(state: RequestState, res: ServerResponse): void {
    const route = state.route;
    if (!route) return;
    const served = state.result?.served;
    const record: UsageRecord = {
      requestId: state.requestId,
      time: new Date(performance.timeOrigin + state.startedAt),
      keyId: state.principal?.keyId,
      keyName: state.principal?.keyName,
      operation: route.operation,
      modelName: state.modelName ?? '',
      deploymentId: served?.id,
      modelId: served?.modelId,
      region: served?.region,
      streamed: route.streams,
      status: state.status ?? res.statusCode,
      outcome: state.outcome,
      errorType: state.errorType,
      latencyMs: performance.now() - state.startedAt,
      timeToFirstByteMs: state.result?.timeToFirstByteMs,
      attempts: state.result?.attempts ?? [],
    };
    logger.info({ ...record }, 'request');
    if (costTracker) {
      Promise.resolve()
        .then(() => costTracker.record(record))
        .catch((error: unknown) => logger.error({ requestId: state.requestId, error: String(error) }, 'cost tracker failed'));
    }
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const state: RequestState = { requestId: randomUUID(), startedAt: performance.now(), outcome: 'completed' };
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

  return Object.assign(handler, {
    deployments: catalog.groups.flatMap((group) => group.deployments.map(publicView)),
    close: () => agent.close(),
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

async function authenticateRequest(authenticator: Authenticator, request: Parameters<Authenticator['authenticate']>[0]): Promise<Principal> {
  try {
    return await authenticator.authenticate(request);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // A host authenticator's own failure says nothing the client should read.
    throw new GatewayError('AccessDeniedException', 'Access denied.');
  }
}
