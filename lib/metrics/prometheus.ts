/**
 * Prometheus metrics for the gateway, on the host's prom-client registry: one {@link MeteredRequest} (the request's
 * usage record) in, counters and histograms out. prom-client is loaded only when metrics are created, so the main
 * entry works without it.
 */
import type { Counter, Histogram, Registry } from 'prom-client';
import type { UsageRecord } from '../types';
import { addDeploymentHealthGauge } from './deployment-health';
import { boundedLabelValues } from './label-values';
import { loadPromClient, registeredOrNew, type PromClientModule } from './registry';
import type { DeploymentHealthReport, PrometheusRegistry } from './types';

/** What the metrics read of a request's usage record. */
export type MeteredRequest = Pick<
  UsageRecord,
  'keyName' | 'operation' | 'modelName' | 'deploymentId' | 'status' | 'outcome' | 'usage' | 'costUsd' | 'latencyMs' | 'timeToFirstByteMs' | 'overheadMs' | 'attempts'
>;

/** How a host turns metrics on: `createBedrockPassthrough({ ...config, metrics: { registry } })`. */
export interface MetricsOptions {
  /** The host's prom-client `Registry` (prom-client's global `register` works too). */
  readonly registry: PrometheusRegistry;
  /** Prefix of every metric name. Default `bedrock_passthrough`. */
  readonly prefix?: string | undefined;
  /**
   * Adds a `key_name` label to the token and cost counters, for spend per key. Off by default: keys can be many (a
   * host authenticator may mint one per user), and each key multiplies those series by models × deployments.
   */
  readonly keyNameLabel?: boolean | undefined;
  /**
   * The most distinct values any one label takes; later new values count as `(other)`. Default 200. Guards against
   * caller-chosen values: raw model ids (`allow_raw_model_ids`), many keys, upstream error types.
   */
  readonly maxLabelValues?: number | undefined;
}

/** Everything {@link createPrometheusMetrics} takes: the host's options plus what the gateway supplies. */
export interface PrometheusMetricsOptions extends MetricsOptions {
  /** Every deployment's cooldown state, read at scrape time for the health gauge. Without it, no gauge. */
  readonly cooldowns?: DeploymentHealthReport | undefined;
}

/** Records requests as metrics. */
export interface MetricsRecorder {
  /** Counts one finished request. Synchronous and cheap; does not throw on any record the gateway produces. */
  record(request: MeteredRequest): void;
  /**
   * Takes this gateway's deployments out of the health gauge, for a gateway that closes while the registry lives on.
   * The counters stay: their series belong to the registry.
   */
  close(): void;
}

const DEFAULT_METRICS_PREFIX = 'bedrock_passthrough';
const DEFAULT_MAX_LABEL_VALUES = 200;

/** Whole requests, in seconds: LLM calls take from tens of milliseconds to minutes (the default timeout is 600 s). */
export const LATENCY_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
/** Time to first byte is lower (a first token, a short answer's head): finer at the low end. */
export const FIRST_BYTE_BUCKETS_SECONDS = [0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 30, 60];
/** The gateway's own time is tenths of a millisecond when all is well; the upper buckets catch event-loop stalls. */
export const OVERHEAD_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];

const TOKEN_TYPES = ['input', 'output', 'cache_read', 'cache_write'] as const;

/**
 * Creates the gateway's metrics on `options.registry`. Creating them again on the same registry (a second gateway
 * in the same app) reuses the registered metrics, so both gateways count into the same series; with other
 * `keyNameLabel` settings it throws instead, and a second `prefix` keeps them apart.
 * @throws when prom-client is not installed.
 */
export function createPrometheusMetrics(options: PrometheusMetricsOptions): MetricsRecorder {
  const client = loadPromClient();
  const { registry } = options;
  const prefix = options.prefix ?? DEFAULT_METRICS_PREFIX;
  const maxValues = options.maxLabelValues ?? DEFAULT_MAX_LABEL_VALUES;
  const perKey = options.keyNameLabel === true;
  const metric = factory(client, registry);

  const requests = metric.counter(`${prefix}_requests_total`, 'Requests by model group, deployment, operation, status and outcome.', [
    'model_name',
    'deployment',
    'operation',
    'status',
    'outcome',
  ]);
  const duration = metric.histogram(
    `${prefix}_request_duration_seconds`,
    'Time from request to the end of the response.',
    ['model_name', 'deployment', 'operation', 'status'],
    LATENCY_BUCKETS_SECONDS,
  );
  const firstByte = metric.histogram(
    `${prefix}_time_to_first_byte_seconds`,
    'Time from request to the first byte of the answer from Bedrock, retries included.',
    ['model_name', 'deployment', 'operation'],
    FIRST_BYTE_BUCKETS_SECONDS,
  );
  const overhead = metric.histogram(
    `${prefix}_overhead_seconds`,
    "The gateway's own time per request: the total minus the time spent waiting on Bedrock.",
    ['operation'],
    OVERHEAD_BUCKETS_SECONDS,
  );
  const tokens = metric.counter(
    `${prefix}_tokens_total`,
    'Tokens by type: input (uncached), output, cache_read, cache_write.',
    perKey ? ['model_name', 'deployment', 'type', 'key_name'] : ['model_name', 'deployment', 'type'],
  );
  const cost = metric.counter(
    `${prefix}_cost_usd_total`,
    'Cost in US dollars of the requests whose model prices are known.',
    perKey ? ['model_name', 'deployment', 'key_name'] : ['model_name', 'deployment'],
  );
  const attempts = metric.counter(`${prefix}_attempts_total`, 'Upstream attempts (a request makes several when it retries).', [
    'model_name',
    'deployment',
  ]);
  const failures = metric.counter(`${prefix}_attempt_failures_total`, 'Failed upstream attempts by error type.', [
    'model_name',
    'deployment',
    'error_type',
  ]);
  const { cooldowns } = options;
  const removeHealth = cooldowns ? addDeploymentHealthGauge(client, registry, `${prefix}_deployment_cooling_down`, cooldowns) : undefined;

  const modelName = boundedLabelValues(maxValues);
  const deployment = boundedLabelValues(maxValues);
  const errorType = boundedLabelValues(maxValues);
  const keyName = boundedLabelValues(maxValues);

  /** A request's label sets, made once per combination of values (the values are few: bounded, mostly from config). */
  const requestLabels = new LabelCache((request: MeteredRequest) => {
    const where = { model_name: modelName(request.modelName), deployment: deployment(request.deploymentId ?? ''), operation: request.operation };
    const status = String(request.status);
    const spender: Record<string, string> = perKey
      ? { model_name: where.model_name, deployment: where.deployment, key_name: keyName(request.keyName ?? '') }
      : { model_name: where.model_name, deployment: where.deployment };
    return {
      request: { ...where, status, outcome: request.outcome },
      duration: { ...where, status },
      firstByte: where,
      overhead: { operation: request.operation },
      spender,
      tokens: TOKEN_TYPES.map((type) => ({ ...spender, type })),
    };
  });
  const attemptLabels = new LabelCache((attempt: MeteredRequest['attempts'][number]) => {
    const labels = { model_name: modelName(attempt.modelName), deployment: deployment(attempt.deploymentId) };
    return { attempt: labels, failure: attempt.outcome === 'failed' ? { ...labels, error_type: errorType(attempt.errorType ?? '_OTHER') } : undefined };
  });

  return {
    record(request) {
      const labels = requestLabels.get(
        `${request.modelName}\u0000${request.deploymentId}\u0000${request.operation}\u0000${request.status}\u0000${request.outcome}\u0000${perKey ? request.keyName : ''}`,
        request,
      );
      requests.inc(labels.request);
      observeMs(duration, labels.duration, request.latencyMs);
      observeMs(firstByte, labels.firstByte, request.timeToFirstByteMs);
      observeMs(overhead, labels.overhead, request.overheadMs);
      if (request.usage) {
        const { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens } = request.usage;
        const counts = [inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens];
        labels.tokens.forEach((tokenLabels, index) => incBy(tokens, tokenLabels, counts[index]));
      }
      if (typeof request.costUsd === 'number') incBy(cost, labels.spender, request.costUsd);

      for (const attempt of request.attempts) {
        const { attempt: where, failure } = attemptLabels.get(`${attempt.modelName}\u0000${attempt.deploymentId}\u0000${attempt.outcome === 'failed' ? attempt.errorType : ''}`, attempt);
        attempts.inc(where);
        if (failure) failures.inc(failure);
      }
    },
    close() {
      removeHealth?.();
    },
  };
}

/**
 * Label objects by a key made of their raw values: building them (and the bounded-value lookups) once per combination
 * instead of once per request keeps allocation off the request path. Emptied when it grows past a bound, which only
 * caller-chosen values (raw model ids, minted keys, upstream error types) can make it do.
 */
class LabelCache<Input, Labels> {
  private static readonly MAX_ENTRIES = 10_000;
  private readonly entries = new Map<string, Labels>();

  constructor(private readonly make: (input: Input) => Labels) {}

  get(key: string, input: Input): Labels {
    let labels = this.entries.get(key);
    if (labels === undefined) {
      if (this.entries.size >= LabelCache.MAX_ENTRIES) this.entries.clear();
      labels = this.make(input);
      this.entries.set(key, labels);
    }
    return labels;
  }
}

/** Creates (or reuses) metrics on one registry. */
function factory(client: PromClientModule, registry: PrometheusRegistry) {
  const registers = [registry as unknown as Registry];
  return {
    counter(name: string, help: string, labelNames: readonly string[]): Counter<string> {
      return registeredOrNew(registry, name, labelNames, 'inc', () => new client.Counter({ name, help, labelNames, registers }));
    },
    histogram(name: string, help: string, labelNames: readonly string[], buckets: number[]): Histogram<string> {
      return registeredOrNew(registry, name, labelNames, 'observe', () => new client.Histogram({ name, help, labelNames, buckets, registers }));
    },
  };
}

/** Observes a duration given in milliseconds, in seconds; skips one that was not measured. */
function observeMs(histogram: Histogram<string>, labels: Record<string, string>, ms: number | undefined): void {
  if (ms !== undefined && Number.isFinite(ms) && ms >= 0) histogram.observe(labels, ms / 1000);
}

/** prom-client throws on a negative or non-finite increment; such a count is skipped rather than failing the record. */
function incBy(counter: Counter<string>, labels: Record<string, string>, amount: number | undefined): void {
  if (amount !== undefined && Number.isFinite(amount) && amount >= 0) counter.inc(labels, amount);
}
