/**
 * The gateway's Prometheus metrics, as a scraper sees them: usage records in, the registry served over HTTP, the
 * exposition parsed, counts, labels, histogram buckets and the health gauge checked.
 */
import { Registry } from 'prom-client';
import { createPrometheusMetrics, FIRST_BYTE_BUCKETS_SECONDS, LATENCY_BUCKETS_SECONDS } from '../../lib/metrics/prometheus';
import { OTHER_LABEL_VALUE } from '../../lib/metrics/label-values';
import type { DeploymentHealth } from '../../lib/metrics/types';
import { find, scrape, value, withMetricsServer } from './scrape';
import { T0, usageRecord } from './usage-records';

const P = 'bedrock_passthrough';

/** Six requests covering the shapes the gateway records. */
function mixedTraffic() {
  return [
    // Served on the first attempt.
    usageRecord(),
    // Throttled on claude-eu, served by claude-us: two attempts, one failure.
    usageRecord({
      requestId: 'req-2',
      deploymentId: 'claude-us',
      region: 'us-east-1',
      latencyMs: 2600,
      timeToFirstByteMs: 2500,
      attempts: [
        { deploymentId: 'claude-eu', modelName: 'claude', modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0', region: 'eu-west-1', status: 429, errorType: 'ThrottlingException', startedAt: T0, latencyMs: 80, durationMs: 80, outcome: 'failed' },
        { deploymentId: 'claude-us', modelName: 'claude', modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0', region: 'us-east-1', status: 200, startedAt: T0 + 300, latencyMs: 2190, durationMs: 2290, outcome: 'served' },
      ],
    }),
    // A stream that broke after its head: the client got 200 and an exception frame.
    usageRecord({
      requestId: 'req-3',
      operation: 'converse-stream',
      streamed: true,
      outcome: 'upstream-failed',
      errorType: 'StreamFailed',
      latencyMs: 45_000,
      timeToFirstByteMs: 700,
      usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 },
      costUsd: 0.0001,
    }),
    // Refused before routing: no deployment, no attempt, no usage.
    usageRecord({
      requestId: 'req-4',
      keyId: undefined,
      keyName: undefined,
      status: 403,
      errorType: 'AccessDeniedException',
      deploymentId: undefined,
      modelId: undefined,
      region: undefined,
      usage: undefined,
      costUsd: null,
      latencyMs: 2,
      timeToFirstByteMs: undefined,
      overheadMs: 2,
      attempts: [],
    }),
    // A model whose prices are unknown: tokens counted, cost not.
    usageRecord({ requestId: 'req-5', modelName: 'nova', deploymentId: 'nova-eu', costUsd: null, attempts: [
      { deploymentId: 'nova-eu', modelName: 'nova', modelId: 'amazon.nova-lite-v1:0', region: 'eu-west-1', status: 200, startedAt: T0, latencyMs: 300, durationMs: 310, outcome: 'served' },
    ] }),
    // The client went away mid-stream.
    usageRecord({ requestId: 'req-6', operation: 'converse-stream', streamed: true, outcome: 'client-aborted', latencyMs: 900, timeToFirstByteMs: 400 }),
  ];
}

describe('Prometheus metrics scraped over HTTP', () => {
  let registry: Registry;
  let health: DeploymentHealth[];

  beforeEach(() => {
    registry = new Registry();
    health = [
      { deploymentId: 'claude-eu', modelName: 'claude', coolingDown: true },
      { deploymentId: 'claude-us', modelName: 'claude', coolingDown: false },
    ];
    const metrics = createPrometheusMetrics({ registry, cooldowns: () => health });
    for (const record of mixedTraffic()) metrics.record(record);
  });

  it('serves the Prometheus text format', async () => {
    const { status, contentType, body } = await scrape(registry);
    expect(status).toBe(200);
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(body).toContain(`# TYPE ${P}_requests_total counter`);
    expect(body).toContain(`# TYPE ${P}_request_duration_seconds histogram`);
    expect(body).toContain(`# TYPE ${P}_deployment_cooling_down gauge`);
  });

  it('counts requests by model group, deployment, operation, status and outcome', async () => {
    const { samples } = await scrape(registry);
    const requests = (labels: Record<string, string>) => value(samples, `${P}_requests_total`, labels);
    expect(requests({ model_name: 'claude', deployment: 'claude-eu', operation: 'converse', status: '200', outcome: 'completed' })).toBe(1);
    expect(requests({ model_name: 'claude', deployment: 'claude-us', operation: 'converse', status: '200', outcome: 'completed' })).toBe(1);
    expect(requests({ model_name: 'claude', deployment: 'claude-eu', operation: 'converse-stream', status: '200', outcome: 'upstream-failed' })).toBe(1);
    expect(requests({ model_name: 'claude', deployment: 'claude-eu', operation: 'converse-stream', status: '200', outcome: 'client-aborted' })).toBe(1);
    // No deployment answered: the label is empty (Prometheus reads it as absent).
    expect(requests({ model_name: 'claude', deployment: '', operation: 'converse', status: '403', outcome: 'completed' })).toBe(1);
    const total = find(samples, `${P}_requests_total`).reduce((sum, sample) => sum + sample.value, 0);
    expect(total).toBe(6);
  });

  it('observes request duration in seconds, in buckets from tens of milliseconds to minutes', async () => {
    const { samples } = await scrape(registry);
    const labels = { model_name: 'claude', deployment: 'claude-eu', operation: 'converse-stream', status: '200' };
    expect(value(samples, `${P}_request_duration_seconds_count`, labels)).toBe(2);
    expect(value(samples, `${P}_request_duration_seconds_sum`, labels)).toBeCloseTo(45.9);
    const buckets = find(samples, `${P}_request_duration_seconds_bucket`, labels);
    expect(buckets.map((sample) => sample.labels['le'])).toEqual([...LATENCY_BUCKETS_SECONDS.map(String), '+Inf']);
    // 0.9 s and 45 s: cumulative counts step at le=1 and le=60.
    expect(value(samples, `${P}_request_duration_seconds_bucket`, { ...labels, le: '0.5' })).toBe(0);
    expect(value(samples, `${P}_request_duration_seconds_bucket`, { ...labels, le: '1' })).toBe(1);
    expect(value(samples, `${P}_request_duration_seconds_bucket`, { ...labels, le: '30' })).toBe(1);
    expect(value(samples, `${P}_request_duration_seconds_bucket`, { ...labels, le: '60' })).toBe(2);
  });

  it('observes time to first byte only for requests that got an answer', async () => {
    const { samples } = await scrape(registry);
    const counts = find(samples, `${P}_time_to_first_byte_seconds_count`);
    expect(counts.reduce((sum, sample) => sum + sample.value, 0)).toBe(5);
    expect(find(samples, `${P}_time_to_first_byte_seconds_count`, { deployment: '' })).toEqual([]);
    const streams = { model_name: 'claude', deployment: 'claude-eu', operation: 'converse-stream' };
    expect(value(samples, `${P}_time_to_first_byte_seconds_sum`, streams)).toBeCloseTo(1.1);
    expect(find(samples, `${P}_time_to_first_byte_seconds_bucket`, streams)).toHaveLength(FIRST_BYTE_BUCKETS_SECONDS.length + 1);
  });

  it("observes the gateway's own overhead in sub-millisecond buckets", async () => {
    const { samples } = await scrape(registry);
    const converse = { operation: 'converse' };
    expect(value(samples, `${P}_overhead_seconds_count`, converse)).toBe(4);
    expect(value(samples, `${P}_overhead_seconds_bucket`, { ...converse, le: '0.0001' })).toBe(0);
    expect(value(samples, `${P}_overhead_seconds_bucket`, { ...converse, le: '0.0005' })).toBe(3);
    expect(value(samples, `${P}_overhead_seconds_bucket`, { ...converse, le: '0.0025' })).toBe(4);
  });

  it('counts tokens by type, and cost where prices are known', async () => {
    const { samples } = await scrape(registry);
    const tokens = (deployment: string, type: string) => value(samples, `${P}_tokens_total`, { model_name: 'claude', deployment, type });
    // claude-eu: requests 1, 3 and 6.
    expect(tokens('claude-eu', 'input')).toBe(2010);
    expect(tokens('claude-eu', 'output')).toBe(405);
    expect(tokens('claude-eu', 'cache_read')).toBe(600);
    expect(tokens('claude-eu', 'cache_write')).toBe(100);
    expect(value(samples, `${P}_tokens_total`, { model_name: 'nova', deployment: 'nova-eu', type: 'input' })).toBe(1000);
    expect(find(samples, `${P}_tokens_total`, { deployment: '' })).toEqual([]);

    expect(value(samples, `${P}_cost_usd_total`, { model_name: 'claude', deployment: 'claude-eu' })).toBeCloseTo(0.0251);
    expect(value(samples, `${P}_cost_usd_total`, { model_name: 'claude', deployment: 'claude-us' })).toBeCloseTo(0.0125);
    expect(find(samples, `${P}_cost_usd_total`, { model_name: 'nova' })).toEqual([]);
    // Not per key unless asked.
    expect(find(samples, `${P}_tokens_total`).every((sample) => !('key_name' in sample.labels))).toBe(true);
  });

  it('counts attempts, and failed attempts by error type, per deployment', async () => {
    const { samples } = await scrape(registry);
    expect(value(samples, `${P}_attempts_total`, { model_name: 'claude', deployment: 'claude-eu' })).toBe(4);
    expect(value(samples, `${P}_attempts_total`, { model_name: 'claude', deployment: 'claude-us' })).toBe(1);
    expect(value(samples, `${P}_attempts_total`, { model_name: 'nova', deployment: 'nova-eu' })).toBe(1);
    expect(find(samples, `${P}_attempt_failures_total`)).toEqual([
      { name: `${P}_attempt_failures_total`, labels: { model_name: 'claude', deployment: 'claude-eu', error_type: 'ThrottlingException' }, value: 1 },
    ]);
  });

  it('reads deployment health at each scrape: 1 cooling down, 0 healthy, gone when no longer reported', async () => {
    const gauge = `${P}_deployment_cooling_down`;
    let { samples } = await scrape(registry);
    expect(value(samples, gauge, { model_name: 'claude', deployment: 'claude-eu' })).toBe(1);
    expect(value(samples, gauge, { model_name: 'claude', deployment: 'claude-us' })).toBe(0);

    health = [{ deploymentId: 'claude-us', modelName: 'claude', coolingDown: true }];
    ({ samples } = await scrape(registry));
    expect(find(samples, gauge)).toEqual([{ name: gauge, labels: { model_name: 'claude', deployment: 'claude-us' }, value: 1 }]);
  });

  it('answers HEAD with the head only', async () => {
    const response = await withMetricsServer(registry, (url) => fetch(url, { method: 'HEAD' }));
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await response.text()).toBe('');
  });

  it('answers 500 when a health report fails, rather than serving a partial scrape', async () => {
    health = new Proxy([], {
      get() {
        throw new Error('store unreachable');
      },
    });
    const { status, body } = await scrape(registry);
    expect(status).toBe(500);
    expect(body).toContain('store unreachable');
  });
});

describe('label cardinality', () => {
  it('adds key_name to the token and cost counters only when asked', async () => {
    const registry = new Registry();
    const metrics = createPrometheusMetrics({ registry, keyNameLabel: true });
    metrics.record(usageRecord());
    metrics.record(usageRecord({ keyName: 'team-b', costUsd: 0.5 }));
    const { samples } = await scrape(registry);
    expect(value(samples, `${P}_cost_usd_total`, { model_name: 'claude', deployment: 'claude-eu', key_name: 'team-b' })).toBe(0.5);
    expect(value(samples, `${P}_tokens_total`, { model_name: 'claude', deployment: 'claude-eu', type: 'output', key_name: 'team-a' })).toBe(200);
    expect(find(samples, `${P}_requests_total`).every((sample) => !('key_name' in sample.labels))).toBe(true);
  });

  it('counts values past maxLabelValues together as (other)', async () => {
    const registry = new Registry();
    const metrics = createPrometheusMetrics({ registry, maxLabelValues: 2 });
    for (const modelName of ['a', 'b', 'c', 'd', 'a']) metrics.record(usageRecord({ modelName, attempts: [] }));
    const { samples } = await scrape(registry);
    const byModel = Object.fromEntries(find(samples, `${P}_requests_total`).map((sample) => [sample.labels['model_name'], sample.value]));
    expect(byModel).toEqual({ a: 2, b: 1, [OTHER_LABEL_VALUE]: 2 });
  });

  it('counts right past the label cache bound: 12,000 distinct raw model ids, then the first again', async () => {
    const registry = new Registry();
    const metrics = createPrometheusMetrics({ registry, maxLabelValues: 2 });
    for (let index = 0; index < 12_000; index += 1) metrics.record(usageRecord({ modelName: `raw-${index}`, attempts: [] }));
    metrics.record(usageRecord({ modelName: 'raw-0', attempts: [] }));
    const { samples } = await scrape(registry);
    const byModel = Object.fromEntries(find(samples, `${P}_requests_total`).map((sample) => [sample.labels['model_name'], sample.value]));
    expect(byModel).toEqual({ 'raw-0': 2, 'raw-1': 1, [OTHER_LABEL_VALUE]: 11_998 });
  });
});

describe('two gateways on one registry', () => {
  it('share the metrics instead of throwing, and the health gauge shows both', async () => {
    const registry = new Registry();
    const first = createPrometheusMetrics({ registry, cooldowns: () => [{ deploymentId: 'a', modelName: 'm', coolingDown: false }] });
    const second = createPrometheusMetrics({ registry, cooldowns: () => [{ deploymentId: 'b', modelName: 'm', coolingDown: true }] });
    first.record(usageRecord());
    second.record(usageRecord());
    const { samples } = await scrape(registry);
    expect(value(samples, `${P}_requests_total`, { model_name: 'claude', deployment: 'claude-eu', operation: 'converse', status: '200', outcome: 'completed' })).toBe(2);
    expect(value(samples, `${P}_deployment_cooling_down`, { model_name: 'm', deployment: 'a' })).toBe(0);
    expect(value(samples, `${P}_deployment_cooling_down`, { model_name: 'm', deployment: 'b' })).toBe(1);
  });

  it('stop showing a closed gateway’s deployments in the health gauge', async () => {
    const registry = new Registry();
    createPrometheusMetrics({ registry, cooldowns: () => [{ deploymentId: 'a', modelName: 'm', coolingDown: false }] });
    const closing = createPrometheusMetrics({ registry, cooldowns: () => [{ deploymentId: 'b', modelName: 'm', coolingDown: true }] });
    closing.close();
    const { samples } = await scrape(registry);
    expect(find(samples, `${P}_deployment_cooling_down`).map((sample) => sample.labels['deployment'])).toEqual(['a']);
  });

  it('keep apart with another prefix', async () => {
    const registry = new Registry();
    createPrometheusMetrics({ registry }).record(usageRecord());
    createPrometheusMetrics({ registry, prefix: 'second_gateway' }).record(usageRecord());
    const { samples } = await scrape(registry);
    expect(find(samples, `${P}_requests_total`)).toHaveLength(1);
    expect(find(samples, 'second_gateway_requests_total')).toHaveLength(1);
  });

  it('refuse to share a metric registered with other labels', () => {
    const registry = new Registry();
    createPrometheusMetrics({ registry });
    expect(() => createPrometheusMetrics({ registry, keyNameLabel: true })).toThrow(/bedrock_passthrough_tokens_total is already registered/);
  });
});

describe('without prom-client', () => {
  it('says what to install', () => {
    jest.isolateModules(() => {
      jest.doMock('prom-client', () => {
        throw Object.assign(new Error("Cannot find module 'prom-client' from 'lib/metrics/optional-peer.ts'"), { code: 'MODULE_NOT_FOUND' });
      });
      const { createPrometheusMetrics: create } = require('../../lib/metrics/prometheus') as typeof import('../../lib/metrics/prometheus');
      expect(() => create({ registry: new Registry() })).toThrow('Prometheus metrics need the prom-client package (>= 15): npm install prom-client');
    });
  });
});
