/**
 * One generation of the gateway: everything built from one configuration (deployments and their credentials, keys,
 * routing, limits on bodies, the admin API), on top of what lives as long as the gateway (shared state, counters,
 * the host's parts). A request reads the current generation once, on arrival, and keeps it to its end: a reload
 * builds the next generation beside the live one and swaps it in, and never changes a request already under way.
 */
import { createConfigKeyAuthenticator } from '../auth/config-keys';
import { createBalancer } from '../balancer';
import { createSimpleShuffle } from '../balancer/simple-shuffle';
import { createAdminHandler, type AdminHandler, type RecentErrorLog } from '../admin';
import { createAdminData } from '../admin-data';
import type { GatewayConfig } from '../config/types';
import type { ForwardingRules } from '../http/headers';
import type { KeyLimiter } from '../limits/key-limiter';
import { ModelCatalog, type DeploymentTarget } from '../models';
import { ResourceCatalog } from '../resources';
import { AsyncInvokeDirectory } from '../routing/async-invokes';
import { Cooldowns } from '../routing/cooldowns';
import { Router, type Accounting, type RoutingSettings } from '../routing/router';
import { SharedDeploymentState } from '../routing/shared-state';
import type { RouterStats } from '../routing/stats';
import type { Store } from '../state/store';
import { TargetResolver } from '../targets';
import type { SpendTable } from '../tracking/spend-table';
import type { Authenticator, Balancer, CredentialsProvider, Deployment, KeySource, Logger } from '../types';
import { poolFor, type UpstreamPool } from './upstream-pool';

const DEFAULT_MAX_REQUEST_SIZE_MB = 20;
/** LiteLLM's defaults. */
const DEFAULT_NUM_RETRIES = 2;
const DEFAULT_TIMEOUT_S = 600;
const DEFAULT_ALLOWED_FAILS = 3;
const DEFAULT_COOLDOWN_S = 30;

/** What lives as long as the gateway, whatever its configuration: the host's parts, shared state and counters. */
export interface LastingParts {
  readonly logger: Logger;
  readonly now: () => number;
  /** The host's authenticator, replacing the config's keys. */
  readonly auth: Authenticator | undefined;
  readonly keySource: KeySource | undefined;
  /** The host's balancer, replacing `routing_strategy`. */
  readonly balancer: Balancer | undefined;
  readonly credentials: CredentialsProvider | undefined;
  /** The state every instance may share (this process's memory when no store is configured). */
  readonly state: Store;
  /** Whether `state` is shared with other instances (a host's store, or Redis): deployment usage is then published. */
  readonly shared: boolean;
  /** Carried over by deployment id: latencies and this minute's usage of the deployments a reload keeps. */
  readonly stats: RouterStats;
  readonly limiter: KeyLimiter;
  readonly spend: SpendTable;
  readonly accounting: Accounting;
  readonly recentErrors: RecentErrorLog;
}

/** What the gateway serves with, for one configuration. */
export interface Generation {
  readonly config: GatewayConfig;
  /** The deployments it routes to, without credentials. */
  readonly deployments: readonly Deployment[];
  readonly deploymentIds: ReadonlySet<string>;
  readonly modelGroups: number;
  readonly authenticator: Authenticator;
  readonly targets: TargetResolver;
  readonly asyncInvokes: AsyncInvokeDirectory;
  readonly cooldowns: Cooldowns;
  readonly router: Router;
  readonly admin: AdminHandler | undefined;
  readonly maxBodyBytes: number;
  readonly forwarding: ForwardingRules;
  /** The upstream connections; shared with the previous generation when it called no other origin. */
  readonly pool: UpstreamPool;
  /** The origins its deployments call. */
  readonly origins: ReadonlySet<string>;
}

/**
 * Builds the generation of `config` (already checked), carrying over from `previous` what belongs to deployments by
 * id: cooldowns, and the connection pool when every origin it called is still called. Changes nothing of `previous`.
 */
export function buildGeneration(config: GatewayConfig, parts: LastingParts, previous?: Generation): Generation {
  const { logger, now, state } = parts;
  const catalog = new ModelCatalog(config, { credentials: parts.credentials });
  const targetsOf = catalog.groups.flatMap((group) => group.deployments);
  const deploymentIds = new Set(targetsOf.map((deployment) => deployment.id));
  const deployments = targetsOf.map(publicView);
  const cooldowns = new Cooldowns(
    state,
    {
      allowedFails: config.router_settings?.allowed_fails ?? DEFAULT_ALLOWED_FAILS,
      cooldownMs: (config.router_settings?.cooldown_time ?? DEFAULT_COOLDOWN_S) * 1000,
    },
    now,
    previous?.cooldowns,
  );
  const asyncInvokes = new AsyncInvokeDirectory(state, catalog, logger);
  const masterKey = config.general_settings?.master_key;
  const keyHeader = config.general_settings?.key_header_name;
  const origins = new Set(targetsOf.map((deployment) => deployment.origin));
  const pool = poolFor(previous, origins);
  return {
    config,
    deployments,
    deploymentIds,
    modelGroups: catalog.groups.length,
    authenticator: parts.auth ?? createConfigKeyAuthenticator(config, state, parts.keySource, now),
    targets: new TargetResolver(catalog, new ResourceCatalog(config), asyncInvokes),
    asyncInvokes,
    cooldowns,
    router: new Router({
      agent: pool.agent,
      accounting: parts.accounting,
      balancer: parts.balancer ?? builtInBalancer(config, parts.stats, logger),
      stats: parts.stats,
      cooldowns,
      shared: parts.shared ? new SharedDeploymentState(state, [...deploymentIds], parts.stats, cooldowns, now, logger) : undefined,
      catalog,
      settings: routingSettings(config),
      logger,
      now,
      random: Math.random,
    }),
    admin: masterKey
      ? createAdminHandler({
          masterKey,
          keyHeaderName: keyHeader,
          logger,
          data: createAdminData({ config, deployments, stats: parts.stats, cooldowns, limiter: parts.limiter, spend: parts.spend, recentErrors: parts.recentErrors }),
        })
      : undefined,
    maxBodyBytes: Math.floor((config.general_settings?.max_request_size_mb ?? DEFAULT_MAX_REQUEST_SIZE_MB) * 1024 * 1024),
    forwarding: {
      allowed: new Set((config.bedrock_settings?.forward_headers ?? []).map((name) => name.toLowerCase())),
      keyHeader: keyHeader?.toLowerCase(),
    },
    pool,
    origins,
  };
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

/** The strategy `router_settings.routing_strategy` names; one not built in falls back to `simple-shuffle`, loudly. */
function builtInBalancer(config: GatewayConfig, stats: RouterStats, logger: Logger): Balancer {
  const strategy = config.router_settings?.routing_strategy;
  const balancer = createBalancer(strategy, stats);
  if (balancer) return balancer;
  logger.warn({ strategy }, `routing_strategy '${strategy}' is not supported; using simple-shuffle`);
  return createSimpleShuffle();
}
