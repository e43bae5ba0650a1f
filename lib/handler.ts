/**
 * The gateway's core: a plain Node `(req, res)` handler, framework-free, that the Express adapter and the CLI
 * both serve. One request flows one way: route → authenticate → resolve model → pick deployment → sign →
 * upstream → stream back.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { signRequest } from './aws/sigv4';
import { authorize, createConfigKeyAuthenticator } from './auth/config-keys';
import { createSimpleShuffle } from './balancer/simple-shuffle';
import { resolveConfig } from './config/load';
import type { GatewayConfig } from './config/types';
import { GatewayError, sendGatewayError } from './errors';
import { ClientGoneError, readRequestBody } from './http/body';
import { forwardedRequestHeaders, passedResponseHeaders, type ForwardingRules } from './http/headers';
import { createJsonLogger } from './logging/default-logger';
import { ModelCatalog, type DeploymentTarget } from './models';
import type { OperationName } from './operations';
import { matchRoute, type RouteDefinition } from './routes';
import type { Authenticator, Balancer, Deployment, Logger, PassthroughOptions, Principal, UsageRecord } from './types';
import { createUpstreamAgent, upstreamFailure } from './upstream/agent';

/** Header on every response: the id of this request in the gateway's logs and records. */
export const REQUEST_ID_HEADER = 'x-bedrock-passthrough-request-id';
/** Header on every response that came from upstream: the deployment that served it. */
export const DEPLOYMENT_HEADER = 'x-bedrock-passthrough-deployment';

const DEFAULT_MAX_REQUEST_SIZE_MB = 20;

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
  deployment?: DeploymentTarget;
  timeToFirstByteMs?: number;
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

/** `ThrottlingException:http://internal.amazon.com/...` → `ThrottlingException`. */
function errorTypeOf(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(':')[0] || undefined;
}

function publicView(deployment: DeploymentTarget): Deployment {
  const { id, modelName, modelId, region, endpoint, weight, rpm, tpm } = deployment;
  return { id, modelName, modelId, region, endpoint, weight, rpm, tpm };
}

/**
 * Creates the gateway's core handler for `node:http`, HTTP/2's compatibility API or any framework that hands
 * over Node's request and response. Validates the config first and throws a `ConfigError` listing every problem.
 */
export function createBedrockHandler(options: PassthroughOptions): BedrockHandler {
  const { auth, balancer, costTracker, logger: givenLogger, credentials, mountPath, ...rawConfig } = options;
  const logger = givenLogger ?? createJsonLogger('warn');
  const config: GatewayConfig = resolveConfig(rawConfig, {
    warn: (message) => logger.warn({}, message),
    externalAuth: auth !== undefined,
  });
  warnAboutSettingsNotApplied(config, logger);
  const catalog = new ModelCatalog(config, { credentials });
  const authenticator: Authenticator =
    typeof auth === 'function' ? { authenticate: auth } : (auth ?? createConfigKeyAuthenticator(config));
  const picker: Balancer = typeof balancer === 'function' ? { pick: balancer } : (balancer ?? createSimpleShuffle());
  const agent = createUpstreamAgent();
  const maxBodyBytes = Math.floor((config.general_settings?.max_request_size_mb ?? DEFAULT_MAX_REQUEST_SIZE_MB) * 1024 * 1024);
  const keyHeader = config.general_settings?.key_header_name?.toLowerCase();
  const forwarding: ForwardingRules = {
    allowed: new Set((config.bedrock_settings?.forward_headers ?? []).map((name) => name.toLowerCase())),
    keyHeader,
  };
  const prefix = mountPath?.replace(/\/+$/, '') ?? '';

  async function handle(req: IncomingMessage, res: ServerResponse, state: RequestState): Promise<void> {
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) {
        state.outcome = 'client-aborted';
        abort.abort();
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
    const deployment = picker.pick(group.deployments, { operation: route.operation, modelName: group.modelName, principal, streaming: route.streams }) as
      | DeploymentTarget
      | undefined;
    if (!deployment) throw new GatewayError('ServiceUnavailableException', `No deployment of '${group.modelName}' is available.`);
    state.deployment = deployment;

    const upstream = await callUpstream(deployment, route.operation, req, body, abort.signal);
    state.timeToFirstByteMs = performance.now() - state.startedAt;
    state.status = upstream.statusCode;
    if (upstream.statusCode >= 400) state.errorType = errorTypeOf(upstream.headers['x-amzn-errortype']);
    res.writeHead(upstream.statusCode, { ...passedResponseHeaders(upstream.headers), [DEPLOYMENT_HEADER]: deployment.id });
    try {
      await pipeline(upstream.body, res);
    } catch (error) {
      if (state.outcome !== 'client-aborted') {
        state.outcome = 'upstream-failed';
        logger.warn({ requestId: state.requestId, deployment: deployment.id, error: String(error) }, 'upstream stream failed');
      }
    }
  }

  async function callUpstream(
    deployment: DeploymentTarget,
    operation: OperationName,
    req: IncomingMessage,
    body: Buffer,
    signal: AbortSignal,
  ): Promise<Dispatcher.ResponseData> {
    const forwarded = forwardedRequestHeaders(req.headers, forwarding);
    // Rebuilt from the resolved model id, never from the client's alias or path.
    const path = `${deployment.basePath}/model/${encodeURIComponent(deployment.modelId)}/${operation}`;
    const headers: Record<string, string> = { ...forwarded, host: deployment.host };
    if (deployment.auth.kind === 'bearer') {
      headers['authorization'] = `Bearer ${deployment.auth.apiKey}`;
    } else {
      const signing = signRequest(
        { method: 'POST', host: deployment.host, path, headers: forwarded, body },
        { credentials: await deployment.auth.credentials(), region: deployment.region, signHeaders: Object.keys(forwarded) },
      );
      Object.assign(headers, signing);
    }
    try {
      return await agent.request({ origin: deployment.origin, path, method: 'POST', headers, body, signal });
    } catch (error) {
      if (signal.aborted) throw new ClientGoneError('the client went away before Bedrock answered');
      throw upstreamFailure(error, deployment.id);
    }
  }

  function finish(state: RequestState, res: ServerResponse): void {
    const route = state.route;
    if (!route) return;
    const record: UsageRecord = {
      requestId: state.requestId,
      time: new Date(performance.timeOrigin + state.startedAt),
      keyId: state.principal?.keyId,
      keyName: state.principal?.keyName,
      operation: route.operation,
      modelName: state.modelName ?? '',
      deploymentId: state.deployment?.id,
      modelId: state.deployment?.modelId,
      region: state.deployment?.region,
      streamed: route.streams,
      status: state.status ?? res.statusCode,
      outcome: state.outcome,
      errorType: state.errorType,
      latencyMs: performance.now() - state.startedAt,
      timeToFirstByteMs: state.timeToFirstByteMs,
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

/** Router settings this release reads but does not apply yet: say so rather than let them seem in force. */
function warnAboutSettingsNotApplied(config: GatewayConfig, logger: Logger): void {
  const router = config.router_settings ?? {};
  const notApplied = Object.keys(router).filter((name) => !(name === 'routing_strategy' && router.routing_strategy === 'simple-shuffle'));
  if (notApplied.length > 0) {
    logger.warn({ settings: notApplied }, `router_settings not applied in this release (simple-shuffle is used): ${notApplied.join(', ')}`);
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
