/**
 * Routes one request across a group's deployments: picks a healthy one below its limits, tries again elsewhere on
 * retryable failures while nothing has reached the client, cools failing deployments down, moves on to fallback
 * groups, and answers with the best it got.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Agent } from 'undici';
import { cutResponse, GatewayError, sendGatewayError } from '../errors';
import { CLIENT_CLOSED_REQUEST, ClientGoneError } from '../http/body';
import type { ClientDeparture } from '../http/client-departure';
import { passedResponseHeaders } from '../http/headers';
import type { DeploymentTarget, ModelCatalog, ModelGroup } from '../models';
import type { RouteDefinition } from '../routes';
import type { UpstreamCall } from '../targets';
import type { AttemptRecord, Balancer, Deployment, Logger, Principal } from '../types';
import { totalTokens } from '../usage/extractor';
import type { TokenUsage, UsageExtractor } from '../usage/types';
import { attempt, type Failure, type PlainAnswer, type StoredAnswer, type StreamAnswer } from './attempt';
import type { Cooldowns } from './cooldowns';
import type { SharedDeploymentState } from './shared-state';
import { relayStream, type RelayOutcome } from './relay';
import { backoffMs } from './retry-policy';
import type { RouterStats } from './stats';

/** Header on every response that involved Bedrock: how many attempts it took. */
export const ATTEMPTS_HEADER = 'x-bedrock-passthrough-attempts';
/** Header naming the deployment that served the answer. */
export const DEPLOYMENT_HEADER = 'x-bedrock-passthrough-deployment';
/** Header on plain (non-streamed) answers: their cost in USD, when the model's prices are known. */
export const COST_HEADER = 'x-bedrock-passthrough-cost-usd';
/** Header with the gateway's own time, in milliseconds, up to the response head (time waiting on Bedrock excluded). */
export const OVERHEAD_HEADER = 'x-bedrock-passthrough-overhead-ms';

/** How the router learns what an answer used and cost. */
export interface Accounting {
  /** A fresh extractor for one answer of `deployment`. */
  extractor(operation: RouteDefinition['operation'], deployment: DeploymentTarget): UsageExtractor;
  /** The cost in USD, or null when the deployment's prices are unknown. */
  costOf(deployment: DeploymentTarget, usage: TokenUsage): number | null;
}

/** The router's settings, resolved from `router_settings` and the deployments. */
export interface RoutingSettings {
  readonly numRetries: number;
  readonly timeoutMs: number;
  readonly streamTimeoutMs?: number | undefined;
  /** `model_name` to the groups tried, in order, once it is exhausted. */
  readonly fallbacks: ReadonlyMap<string, readonly string[]>;
}

export interface RouterParts {
  readonly agent: Agent;
  readonly accounting: Accounting;
  readonly balancer: Balancer;
  readonly stats: RouterStats;
  readonly cooldowns: Cooldowns;
  /** Set when instances share a store: publishes and reads back deployment usage and cooldowns. */
  readonly shared?: SharedDeploymentState | undefined;
  readonly catalog: ModelCatalog;
  readonly settings: RoutingSettings;
  readonly logger: Logger;
  readonly now: () => number;
  readonly random: () => number;
}

/** What the router needs of one request. */
export interface RoutedRequest {
  readonly requestId: string;
  readonly route: RouteDefinition;
  readonly group: ModelGroup;
  readonly principal: Principal;
  readonly upstream: UpstreamCall;
  /** The group's fallbacks may be tried (operations that follow a model). */
  readonly fallbacks: boolean;
  readonly forwarded: Readonly<Record<string, string>>;
  readonly res: ServerResponse;
  readonly clientGone: ClientDeparture;
}

/** How the request went, for its record. */
export interface RouteResult {
  readonly attempts: readonly AttemptRecord[];
  readonly served?: DeploymentTarget | undefined;
  readonly status: number;
  readonly outcome: RelayOutcome;
  readonly errorType?: string | undefined;
  readonly timeToFirstByteMs?: number | undefined;
  readonly usage?: TokenUsage | undefined;
  /** Whether the answer reported its final usage (false for a stream that broke off or was abandoned). */
  readonly usageComplete?: boolean | undefined;
  readonly costUsd?: number | null | undefined;
  /** A plain answer's body (for hosts that opted in to logging bodies). */
  readonly plainBody?: Buffer | undefined;
  /** Time spent waiting on Bedrock or pausing between attempts: the rest of the request's time is the gateway's. */
  readonly waitingMs: number;
}

/** Time a request spent waiting rather than working, kept as its attempts go. */
interface Waiting {
  ms: number;
}

const MINUTE_MS = 60_000;

export class Router {
  constructor(private readonly parts: RouterParts) {}

  async route(request: RoutedRequest): Promise<RouteResult> {
    const attempts: AttemptRecord[] = [];
    const waiting: Waiting = { ms: 0 };
    try {
      return await this.attemptInTurn(request, attempts, waiting);
    } catch (error) {
      if (!(error instanceof ClientGoneError)) throw error;
      // A client that leaves before the answer's head does not undo the calls already made (Bedrock may bill them):
      // the record keeps every attempt, the abandoned one too, rather than losing them with the exception.
      const status = request.res.headersSent ? request.res.statusCode : CLIENT_CLOSED_REQUEST;
      return { attempts, status, outcome: 'client-aborted', waitingMs: waiting.ms };
    }
  }

  private async attemptInTurn(request: RoutedRequest, attempts: AttemptRecord[], waiting: Waiting): Promise<RouteResult> {
    const { settings } = this.parts;
    // Durations on the monotonic sub-millisecond clock; the gateway's clock (`now`) only dates things.
    const startedAt = performance.now();
    this.parts.shared?.refreshIfStale();
    let lastFailure: Failure | undefined;
    let lastDeploymentId: string | undefined;
    let limited = false;

    for (const group of request.fallbacks ? this.groupsToTry(request.group) : [request.group]) {
      const tried = new Set<string>();
      for (let retry = 0; retry <= settings.numRetries; retry++) {
        const choice = this.choose(group, tried, request);
        if (choice === 'limited') limited = true;
        if (typeof choice === 'string') break;
        if (attempts.length > 0) {
          const same = choice.id === lastDeploymentId;
          const pauseMs = backoffMs(attempts.length, same, same ? lastFailure?.retryAfterMs : undefined, this.parts.random);
          await this.pause(pauseMs, request.clientGone);
          waiting.ms += pauseMs;
        }
        const result = await this.tryDeployment(choice, request, attempts, startedAt, waiting);
        if (result.kind === 'done') return result.result;
        lastFailure = result.failure;
        lastDeploymentId = choice.id;
        tried.add(choice.id);
        if (!mayRetry(request.route, result.failure)) return this.answerWithFailure(request, result.failure, attempts, waiting);
      }
    }
    if (lastFailure) return this.answerWithFailure(request, lastFailure, attempts, waiting);
    const error = limited
      ? new GatewayError('ThrottlingException', `Every deployment of '${request.group.modelName}' is at its rpm/tpm limit; try again shortly.`, undefined, {
          'retry-after': String(Math.ceil((MINUTE_MS - (this.parts.now() % MINUTE_MS)) / 1000)),
        })
      : new GatewayError('ServiceUnavailableException', `No deployment of '${request.group.modelName}' is available.`);
    return this.answerWithError(request, error, attempts, limited ? 'AtLimit' : 'NoDeployment', waiting);
  }

  /** The group, then its fallbacks (each once). */
  private groupsToTry(group: ModelGroup): ModelGroup[] {
    const groups = [group];
    for (const name of this.parts.settings.fallbacks.get(group.modelName) ?? []) {
      const fallback = this.parts.catalog.group(name);
      if (fallback && !groups.includes(fallback)) groups.push(fallback);
    }
    return groups;
  }

  /**
   * A deployment for the next attempt: below its limits, not cooling down, not tried yet by this request — each
   * condition relaxed, in reverse order, when nothing meets it. When every deployment is cooling down, the one that
   * failed longest ago is tried rather than none.
   */
  private choose(group: ModelGroup, tried: ReadonlySet<string>, request: RoutedRequest): DeploymentTarget | 'limited' | 'refused' {
    const { cooldowns, stats } = this.parts;
    const usable = group.deployments.filter((deployment) => !isAtLimit(deployment, stats));
    if (usable.length === 0) return 'limited';
    const healthy = usable.filter((deployment) => !cooldowns.isCoolingDown(deployment.id));
    const untried = healthy.filter((deployment) => !tried.has(deployment.id));
    const candidates =
      untried.length > 0 ? untried : healthy.length > 0 ? healthy : [leastRecentlyFailed(usable, cooldowns)];
    const context = { operation: request.route.operation, modelName: group.modelName, principal: request.principal, streaming: request.route.streams };
    const picked = this.parts.balancer.pick(candidates, context);
    return picked ? (picked as DeploymentTarget) : 'refused';
  }

  private async tryDeployment(
    deployment: DeploymentTarget,
    request: RoutedRequest,
    attempts: AttemptRecord[],
    startedAt: number,
    waiting: Waiting,
  ): Promise<{ kind: 'done'; result: RouteResult } | { kind: 'failed'; failure: Failure }> {
    const { stats, settings, now } = this.parts;
    const streaming = request.route.streams;
    const attemptStarted = performance.now();
    const attemptStartedAt = now();
    stats.started(deployment.id);
    this.parts.shared?.started(deployment.id);
    let result: PlainAnswer | StreamAnswer | Failure;
    try {
      result = await attempt({
        agent: this.parts.agent,
        deployment,
        upstream: request.upstream,
        streaming,
        forwarded: request.forwarded,
        clientGone: request.clientGone,
        timeoutMs: deployment.timeoutMs ?? settings.timeoutMs,
        streamTimeoutMs: deployment.streamTimeoutMs ?? settings.streamTimeoutMs,
      });
    } catch (error) {
      stats.finished(deployment.id);
      const latencyMs = performance.now() - attemptStarted;
      waiting.ms += latencyMs;
      // The call abandoned because the client left may have reached Bedrock: its record must show it.
      if (error instanceof ClientGoneError) {
        attempts.push({
          deploymentId: deployment.id,
          modelName: deployment.modelName,
          modelId: deployment.modelId,
          region: deployment.region,
          errorType: 'ClientGone',
          startedAt: attemptStartedAt,
          latencyMs,
          durationMs: latencyMs,
          outcome: 'failed',
        });
      }
      throw error;
    }
    const headAt = performance.now();
    waiting.ms += headAt - attemptStarted;

    if (result.kind === 'failure') {
      stats.finished(deployment.id);
      const latencyMs = headAt - attemptStarted;
      const status = result.answer?.status;
      attempts.push({
        deploymentId: deployment.id,
        modelName: deployment.modelName,
        modelId: deployment.modelId,
        region: deployment.region,
        status,
        errorType: result.errorType,
        startedAt: attemptStartedAt,
        latencyMs,
        durationMs: latencyMs,
        outcome: 'failed',
      });
      this.parts.balancer.observe?.(deployment, { status, latencyMs, error: result.errorType });
      if (result.retryable) await this.parts.cooldowns.recordFailure(deployment.id, result.throttled);
      this.parts.logger.debug(
        { requestId: request.requestId, deployment: deployment.id, status, errorType: result.errorType, retryable: result.retryable },
        'attempt failed',
      );
      return { kind: 'failed', failure: result };
    }

    const extractor = this.parts.accounting.extractor(request.route.operation, deployment);
    extractor.observeHeaders(result.headers);
    const served: AttemptRecord = {
      deploymentId: deployment.id,
      modelName: deployment.modelName,
      modelId: deployment.modelId,
      region: deployment.region,
      status: result.status,
      startedAt: attemptStartedAt,
      latencyMs: headAt - attemptStarted,
      durationMs: headAt - attemptStarted,
      outcome: 'served',
    };
    attempts.push(served);
    const headers: OutgoingHttpHeaders = {
      ...passedResponseHeaders(result.headers),
      [DEPLOYMENT_HEADER]: deployment.id,
      [ATTEMPTS_HEADER]: String(attempts.length),
    };

    let outcome: RelayOutcome = 'completed';
    let streamError: string | undefined;
    let costUsd: number | null | undefined;
    if (result.kind === 'plain') {
      extractor.observeBody(result.body);
      const usage = extractor.result().usage;
      costUsd = usage ? this.parts.accounting.costOf(deployment, usage) : null;
      if (costUsd !== null) headers[COST_HEADER] = formatCost(costUsd);
      headers[OVERHEAD_HEADER] = formatMs(performance.now() - startedAt - waiting.ms);
      headers['content-length'] = result.body.length;
      request.res.writeHead(result.status, headers);
      request.res.end(result.body);
      stats.observeLatency(deployment.id, false, headAt - attemptStarted);
    } else {
      stats.observeLatency(deployment.id, true, headAt - attemptStarted);
      headers[OVERHEAD_HEADER] = formatMs(performance.now() - startedAt - waiting.ms);
      const relayStarted = performance.now();
      const relayed = await relayStream(request.res, result, headers, {
        deploymentId: deployment.id,
        streamTimeoutMs: deployment.streamTimeoutMs ?? settings.streamTimeoutMs,
        onFrame: (frame) => extractor.observeFrame(frame),
      });
      outcome = relayed.outcome;
      streamError = relayed.errorType;
      const relayMs = performance.now() - relayStarted;
      waiting.ms += relayMs;
      attempts[attempts.length - 1] = { ...served, errorType: streamError, durationMs: served.durationMs + relayMs };
    }
    stats.finished(deployment.id);
    const { usage, complete } = extractor.result();
    if (usage) {
      stats.addTokens(deployment.id, totalTokens(usage));
      this.parts.shared?.usedTokens(deployment.id, totalTokens(usage));
    }
    if (costUsd === undefined) costUsd = usage ? this.parts.accounting.costOf(deployment, usage) : null;
    this.parts.balancer.observe?.(deployment, { status: result.status, latencyMs: headAt - attemptStarted });
    return {
      kind: 'done',
      result: {
        attempts,
        served: deployment,
        status: result.status,
        outcome,
        errorType: streamError,
        timeToFirstByteMs: headAt - startedAt,
        usage,
        usageComplete: complete,
        costUsd,
        plainBody: result.kind === 'plain' ? result.body : undefined,
        waitingMs: waiting.ms,
      },
    };
  }

  /** The last failure goes to the client as upstream gave it, or as the gateway's error when upstream gave none. */
  private answerWithFailure(request: RoutedRequest, failure: Failure, attempts: readonly AttemptRecord[], waiting: Waiting): RouteResult {
    if (!failure.answer) {
      const error = failure.error ?? new GatewayError('ServiceUnavailableException', 'Bedrock could not be reached.');
      return this.answerWithError(request, error, attempts, failure.errorType, waiting);
    }
    replay(request.res, failure.answer, {
      [DEPLOYMENT_HEADER]: attempts.at(-1)?.deploymentId ?? '',
      [ATTEMPTS_HEADER]: String(attempts.length),
    });
    return { attempts, status: failure.answer.status, outcome: 'completed', errorType: failure.errorType, waitingMs: waiting.ms };
  }

  private answerWithError(request: RoutedRequest, error: GatewayError, attempts: readonly AttemptRecord[], errorType: string, waiting: Waiting): RouteResult {
    const headers = attempts.length > 0 ? { ...error.headers, [ATTEMPTS_HEADER]: String(attempts.length) } : error.headers;
    sendGatewayError(request.res, new GatewayError(error.type, error.message, error.status, headers));
    return { attempts, status: error.status, outcome: 'completed', errorType, waitingMs: waiting.ms };
  }

  private pause(ms: number, clientGone: ClientDeparture): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stopWatching();
        resolve();
      }, ms);
      const stopWatching = clientGone.onLeave(() => {
        clearTimeout(timer);
        reject(new ClientGoneError('the client went away between attempts'));
      });
    });
  }
}

/** USD with enough digits for a single cheap call (a fraction of a millionth of a dollar). */
function formatCost(usd: number): string {
  return usd.toFixed(10).replace(/0+$/, '').replace(/\.$/, '');
}

function formatMs(ms: number): string {
  return Math.max(0, ms).toFixed(3);
}

/** Whether a failed attempt may be tried again, by its kind and the operation's retry rule. */
function mayRetry(route: RouteDefinition, failure: Failure): boolean {
  return failure.retryable && (route.retries === 'retryable' || failure.unsent);
}

function isAtLimit(deployment: Deployment, stats: RouterStats): boolean {
  if (deployment.rpm === undefined && deployment.tpm === undefined) return false;
  const usage = stats.usageThisMinute(deployment.id);
  return (deployment.rpm !== undefined && usage.requests >= deployment.rpm) || (deployment.tpm !== undefined && usage.tokens >= deployment.tpm);
}

function leastRecentlyFailed(deployments: readonly DeploymentTarget[], cooldowns: Cooldowns): DeploymentTarget {
  let best = deployments[0] as DeploymentTarget;
  for (const deployment of deployments) if (cooldowns.lastFailureAt(deployment.id) < cooldowns.lastFailureAt(best.id)) best = deployment;
  return best;
}

/** Sends a stored upstream answer as it was, with the gateway's headers added. */
function replay(res: ServerResponse, answer: StoredAnswer, extra: OutgoingHttpHeaders): void {
  if (res.headersSent) {
    cutResponse(res);
    return;
  }
  res.writeHead(answer.status, { ...passedResponseHeaders(answer.headers), ...extra, 'content-length': answer.body.length });
  res.end(answer.body);
}
