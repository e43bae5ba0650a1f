/** The one log line per request: the usage record in snake_case, the shape log pipelines and LiteLLM users expect. */
import type { UsageRecord } from '../types';

/** Fields of the `"msg":"request"` line. */
export function requestLogFields(record: UsageRecord): Record<string, unknown> {
  const usage = record.usage;
  return {
    request_id: record.requestId,
    key_name: record.keyName,
    model_group: record.modelName,
    deployment_id: record.deploymentId,
    model_id: record.modelId,
    region: record.region,
    operation: record.operation,
    streamed: record.streamed,
    status: record.status,
    outcome: record.outcome,
    error_type: record.errorType,
    input_tokens: usage?.inputTokens,
    output_tokens: usage?.outputTokens,
    cache_read_tokens: usage?.cacheReadTokens,
    cache_write_tokens: usage?.cacheWriteTokens,
    usage_complete: record.usageComplete,
    cost_usd: record.costUsd,
    latency_ms: round(record.latencyMs),
    ttfb_ms: record.timeToFirstByteMs === undefined ? undefined : round(record.timeToFirstByteMs),
    overhead_ms: round(record.overheadMs),
    attempts: record.attempts.map((attempt) => ({
      deployment_id: attempt.deploymentId,
      model_group: attempt.modelName,
      status: attempt.status,
      error_type: attempt.errorType,
      latency_ms: round(attempt.latencyMs),
      outcome: attempt.outcome,
    })),
    ...(record.annotations ? { annotations: record.annotations } : {}),
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
