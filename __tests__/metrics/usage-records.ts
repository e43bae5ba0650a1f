/**
 * The gateway's usage records, for the metrics and tracing tests. They are typed as the real `UsageRecord`, so
 * passing them to `record()` and `end()` checks at compile time that the narrow views those read (`MeteredRequest`,
 * `TracedRequest`) fit what the gateway produces.
 */
import type { UsageRecord } from '../../lib/types';

export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

/** A converse request that deployment `claude-eu` served on the first attempt; override what a test varies. */
export function usageRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: 'req-1',
    time: new Date(T0),
    keyId: 'key-1',
    keyName: 'team-a',
    operation: 'converse',
    modelName: 'claude',
    deploymentId: 'claude-eu',
    modelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
    region: 'eu-west-1',
    streamed: false,
    status: 200,
    outcome: 'completed',
    usage: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 300, cacheWriteTokens: 50 },
    usageComplete: true,
    costUsd: 0.0125,
    latencyMs: 1500,
    timeToFirstByteMs: 1480,
    overheadMs: 0.3,
    attempts: [{ deploymentId: 'claude-eu', modelName: 'claude', modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0', region: 'eu-west-1', status: 200, startedAt: T0 + 1, latencyMs: 1479, durationMs: 1498, outcome: 'served' }],
    ...overrides,
  };
}
