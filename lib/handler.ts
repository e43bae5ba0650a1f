/**
 * The gateway's core: a plain Node `(req, res)` handler, framework-free, that the Express adapter and the CLI
 * both serve. One request flows one way: route → authenticate → resolve model → pick deployment → sign →
 * upstream → stream back.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { authorize } from './auth/config-keys';
import { ConfigError } from './config/load';
import { describeSource, readConfig, type ConfigSource } from './config/source';
import type { GatewayConfig, RouterSettings } from './config/types';
import { echoed, GatewayError, sendGatewayError } from './errors';
import { CLIENT_CLOSED_REQUEST, ClientGoneError, readRequestBody, refuseDeclaredOversize } from './http/body';
import { ClientDeparture } from './http/client-departure';
import { forwardedRequestHeaders } from './http/headers';
import { SILENT_LOGGER } from './logging/default-logger';
import { matchRoute, type RouteDefinition } from './routes';
import { decodeParams, namedInPath } from './targets';
import type { RouteResult } from './routing/router';
import { RouterStats } from './routing/stats';
import { KeyLimiter, type AdmissionTicket } from './limits/key-limiter';
import { MemoryStore } from './state/memory-store';
import { storeFromConfig } from './state/from-config';
import { createRecentErrorLog } from './admin';
import { buildGeneration, type Generation, type LastingParts } from './reload/generation';
import { redactedLogging } from './reload/redaction';
import type { UpstreamPool } from './reload/upstream-pool';
import { totalTokens } from './usage/extractor';
import { createPrometheusMetrics } from './metrics/prometheus';
import { createTracing, type RequestTrace } from './tracing/otel';
import { createAccounting } from './tracking/accounting';
import { createSpendTable, type SpendTable } from './tracking/spend-table';
import { createReporter } from './tracking/reporter';
import type { Authenticator, Deployment, HookRequest, Hooks, Logger, PassthroughOptions, Principal, UsageRecord } from './types';

/** Header on every response: the id of this request in the gateway's logs and records. */
export const REQUEST_ID_HEADER = 'x-bedrock-passthrough-request-id';

/** What a host passes beside a configuration: its own parts (authenticator, store, logger, hooks...), never reloaded. */
export type HostOptions = Omit<PassthroughOptions, keyof GatewayConfig>;

/** What a reload put in effect. */
export interface ReloadSummary {
  /** Model groups (`model_name`s) and deployments routed to. */
  readonly modelGroups: number;
  readonly deployments: number;
  /** Keys of the config's `keys` list (the master key and a host's key source not counted). */
  readonly keys: number;
  /** What the new configuration holds but the gateway does not use, as `loadConfig` warns of it. */
  readonly warnings: readonly string[];
}

/** The core handler, plus what a server built on it needs. */
export interface BedrockHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** The same, on `node:http2`'s compatibility API. */
  (req: Http2ServerRequest, res: Http2ServerResponse): void;
  /** The deployments the current configuration routes to, without credentials (for health and readiness reports). */
  readonly deployments: readonly Deployment[];
  /** Spend and tokens so far, by day, key and model group (this instance, in memory). */
  readonly spend: SpendTable;
  /**
   * Puts a new configuration in effect without dropping a request: those under way finish on the configuration they
   * started with, new ones get the new one. Without an argument, reads again the source the gateway was created from
   * or last reloaded from (a file is read again; `os.environ/` values are resolved again).
   *
   * Shared state lives on: the store, spend, key usage counters, async-invoke jobs, and the cooldowns and latencies of
   * the deployments kept (by id). Each reload logs one line: what it put in effect, or every problem it found.
   *
   * @param source - a path to a YAML file, YAML text, or a configuration object (the host's own options stay).
   * @returns what the new configuration holds, once it serves every new request.
   * @throws {@link ConfigError} listing every problem when the new configuration is invalid: the current one stays,
   * untouched.
   */
  reload(source?: ConfigSource): Promise<ReloadSummary>;
  /** Writes the spend table's last counts and closes the upstream connection pools; in-flight requests finish first. */
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

/**
 * Creates the gateway's core handler for `node:http`, HTTP/2's compatibility API or any framework that hands
 * over Node's request and response: from a configuration with the host's options beside it, or from a config file
 * (or YAML text) and the host's options. Validates the config first and throws a `ConfigError` listing every problem.
 */
export function createBedrockHandler(options: PassthroughOptions): BedrockHandler;
export function createBedrockHandler(config: string, options?: HostOptions): BedrockHandler;
export function createBedrockHandler(first: PassthroughOptions | string, options: HostOptions = {}): BedrockHandler {
  const { source: initialSource, host } = typeof first === 'string' ? { source: first, host: options } : splitOptions(first);
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
  } = host;
  const now = clock ?? Date.now;
  const externalAuth = auth !== undefined || keySource !== undefined;
  let source = initialSource;
  const config: GatewayConfig = readConfig(source, {
    warn: (message) => (givenLogger ?? SILENT_LOGGER).warn(typeof source === 'string' ? { config: describeSource(source) } : {}, message),
    externalAuth,
  });
  const logging = redactedLogging(givenLogger);
  logging.learn(config);
  const logger = logging.logger;
  // A store of our own making (Redis from router_settings) is ours to close; a host's is the host's. Made once: a
  // reload keeps the connection and everything counted in it.
  const ownStore = store ? undefined : storeFromConfig(config.router_settings, logger, now);
  const sharedStore = store ?? ownStore;
  const sharedState = sharedStore ?? new MemoryStore(now);
  const spend = createSpendTable(sharedState, logger);
  const recentErrors = createRecentErrorLog();
  const parts: LastingParts = {
    logger,
    now,
    auth: typeof auth === 'function' ? { authenticate: auth } : auth,
    keySource,
    balancer: typeof balancer === 'function' ? { pick: balancer } : balancer,
    credentials,
    state: sharedState,
    shared: sharedStore !== undefined,
    stats: new RouterStats(now),
    limiter: new KeyLimiter(sharedState, now, logger),
    spend,
    accounting: createAccounting(logger),
    recentErrors,
  };
  /** The generation new requests are served by: read once per request, replaced whole by a reload. */
  let current = buildGeneration(config, parts);
  /** Pools of earlier generations, closing once their last request is over. */
  const retiringPools = new Set<UpstreamPool>();
  let closed = false;
  const metrics =
    metricsOptions &&
    createPrometheusMetrics({
      ...metricsOptions,
      cooldowns: () => {
        const { deployments, cooldowns } = current;
        return deployments.map((deployment) => ({ deploymentId: deployment.id, modelName: deployment.modelName, coolingDown: cooldowns.isCoolingDown(deployment.id) }));
      },
    });
  const tracing = tracingOptions ? createTracing(tracingOptions) : undefined;
  const report = createReporter({ logger, consumers: [spend, costTracker, metrics, recentErrors], hooks });
  const prefix = mountPath?.replace(/\/+$/, '') ?? '';

  async function handle(req: IncomingMessage, res: ServerResponse, state: RequestState, generation: Generation): Promise<void> {
    const clientGone = new ClientDeparture();
    res.once('close', () => {
      // Not writableFinished: HTTP/2's compatibility API reports a stream the client reset as finished.
      if (!res.writableEnded) {
        state.outcome = 'client-aborted';
        clientGone.leave();
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
      throw new GatewayError('UnknownOperationException', `No Bedrock operation at ${echoed(method)} ${echoed(path)}.`);
    }
    const { route } = match;
    state.route = route;
    // Before authentication: an upload too large is refused while it has hardly started, whoever sends it.
    refuseDeclaredOversize(req, generation.maxBodyBytes);
    if (tracing) state.trace = tracing.begin(req.headers);
    const params = decodeParams(match.params);

    let bodyRead: Promise<Buffer> | undefined;
    const readBody = () => (bodyRead ??= readRequestBody(req, generation.maxBodyBytes));
    const principal = await authenticateRequest(generation.authenticator, {
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
    const resolved = await generation.targets.resolve({ route, params, body, json, query: queryAt === -1 ? undefined : target.slice(queryAt + 1) });
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
    state.admission = await parts.limiter.admit(principal, state.requestId);
    const result = await generation.router.route({
      requestId: state.requestId,
      route,
      group,
      principal,
      upstream: resolved.upstream,
      fallbacks: resolved.followsModel,
      forwarded: forwardedRequestHeaders(req.headers, generation.forwarding, route.requestHeaders),
      res,
      clientGone,
    });
    if (route.operation === 'start-async-invoke' && result.served && result.plainBody && result.status === 200) {
      await generation.asyncInvokes.remember(result.plainBody, result.served);
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
      status: state.status ?? (state.outcome === 'client-aborted' && !res.headersSent ? CLIENT_CLOSED_REQUEST : res.statusCode),
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
    const generation = current;
    if (generation.admin) {
      // The admin API makes no usage record: it is not a Bedrock call.
      const path = pathBelowMount(req.url ?? '/', prefix);
      if (path === '/admin' || path.startsWith('/admin/')) {
        res.setHeader(REQUEST_ID_HEADER, randomUUID());
        return generation.admin(req, res, path.slice('/admin'.length));
      }
    }
    const state: RequestState = { requestId: randomUUID(), startedAt: performance.now(), arrivedAt: now(), outcome: 'completed' };
    res.setHeader(REQUEST_ID_HEADER, state.requestId);
    generation.pool.enter();
    handle(req, res, state, generation)
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
      .finally(() => {
        generation.pool.leave();
        finish(state, res);
      });
  };

  // HTTP/2's compatibility objects offer all the handler uses of node:http's (it reads headersDistinct as optional).
  const onEitherProtocol = handler as ((req: IncomingMessage, res: ServerResponse) => void) & ((req: Http2ServerRequest, res: Http2ServerResponse) => void);

  async function reload(next: ConfigSource = source): Promise<ReloadSummary> {
    const described = describeSource(next);
    try {
      if (closed) throw new Error('The gateway is closed: nothing to reload.');
      const warnings: string[] = [];
      const config = readConfig(next, { warn: (message) => warnings.push(message), externalAuth });
      if (!store && storeSettings(config.router_settings) !== storeSettings(current.config.router_settings)) {
        warnings.push('router_settings: the redis_* settings changed, but the shared store is kept as it is; restart to use the new ones');
      }
      const previous = current;
      const generation = buildGeneration(config, parts, previous);
      // From here on nothing can fail: the new generation goes live whole.
      logging.learn(config);
      current = generation;
      source = next;
      parts.stats.keepOnly(generation.deploymentIds);
      generation.cooldowns.keepOnly(generation.deploymentIds);
      if (generation.pool !== previous.pool) retire(previous.pool);
      const summary: ReloadSummary = {
        modelGroups: generation.modelGroups,
        deployments: generation.deployments.length,
        keys: config.keys?.length ?? 0,
        warnings,
      };
      logger.info({ config: described, ...summary }, 'configuration reloaded');
      return summary;
    } catch (error) {
      const why = error instanceof ConfigError ? { problems: error.problems } : { error: String(error) };
      logger.error({ config: described, ...why }, 'configuration refused: the current one stays in effect');
      throw error;
    }
  }

  function retire(pool: UpstreamPool): void {
    retiringPools.add(pool);
    void pool.retire().then(() => retiringPools.delete(pool));
  }

  return Object.defineProperties(onEitherProtocol, {
    deployments: { get: () => current.deployments, enumerable: true },
    spend: { value: spend, enumerable: true },
    reload: { value: reload, enumerable: true },
    close: {
      enumerable: true,
      value: async () => {
        closed = true;
        metrics?.close();
        await spend.flush();
        await Promise.all([current.pool, ...retiringPools].map((pool) => pool.close()));
        await ownStore?.close();
      },
    },
  }) as BedrockHandler;
}

/** A configuration object with the host's options beside it, taken apart. */
function splitOptions(options: PassthroughOptions): { source: GatewayConfig; host: HostOptions } {
  const {
    auth,
    keySource,
    balancer,
    costTracker,
    logger,
    logBodies,
    hooks,
    metrics,
    tracing,
    credentials,
    store,
    clock,
    mountPath,
    ...config
  } = options;
  return { source: config, host: { auth, keySource, balancer, costTracker, logger, logBodies, hooks, metrics, tracing, credentials, store, clock, mountPath } };
}

/** The settings the store was made from, to tell whether a reload asks for another one. */
function storeSettings(router: RouterSettings | undefined): string {
  const { redis_url, redis_host, redis_port, redis_password, redis_failure_mode } = router ?? {};
  return JSON.stringify([redis_url, redis_host, redis_port, redis_password, redis_failure_mode]);
}

/** The request path without its query, below the handler's mount path (when it is served under one). */
function pathBelowMount(url: string, prefix: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  return prefix && (path === prefix || path.startsWith(`${prefix}/`)) ? path.slice(prefix.length) : path;
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
