/**
 * What the emulated models answer, in Bedrock's wire shapes: Anthropic Messages bodies for InvokeModel,
 * Converse bodies, and the event frames of both streaming operations (with the random `p` padding field
 * real Bedrock frames carry). Guardrails, knowledge bases and agents answer in their own modules.
 */
import { randomBytes } from 'node:crypto';
import { encodeEventFrame } from '../aws/bedrock-frames';

/** Token counts of one emulated call. */
export interface EmulatedUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
}

/** One emulated answer: the text pieces streamed one per delta frame, and the usage reported. */
export interface EmulatedReply {
  readonly deltas: readonly string[];
  readonly usage: EmulatedUsage;
  readonly latencyMs: number;
}

const PADDING_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Bedrock pads stream payloads with a random-length `p` field so sizes do not reveal content. */
function padding(): string {
  return PADDING_ALPHABET.slice(0, 1 + (randomBytes(1)[0] as number) % PADDING_ALPHABET.length);
}

/** A rough, deterministic token estimate: about four bytes of request per token, as for English text. */
export function estimateInputTokens(body: Buffer): number {
  return Math.max(1, Math.ceil(body.length / 4));
}

/** Splits a reply into words (each with its trailing space), one per streamed delta and per output token. */
export function replyDeltas(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [text];
}

export function replyText(reply: EmulatedReply): string {
  return reply.deltas.join('');
}

function totalTokens(usage: EmulatedUsage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadInputTokens + usage.cacheWriteInputTokens;
}

function anthropicUsage(usage: EmulatedUsage, outputTokens: number): Record<string, number> {
  return {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheWriteInputTokens,
    cache_read_input_tokens: usage.cacheReadInputTokens,
    output_tokens: outputTokens,
  };
}

/** The response headers Bedrock sends with a non-streamed InvokeModel answer. */
export function invokeResponseHeaders(reply: EmulatedReply): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-amzn-bedrock-invocation-latency': String(reply.latencyMs),
    'x-amzn-bedrock-input-token-count': String(reply.usage.inputTokens),
    'x-amzn-bedrock-output-token-count': String(reply.usage.outputTokens),
  };
  if (reply.usage.cacheReadInputTokens > 0) {
    headers['x-amzn-bedrock-cache-read-input-token-count'] = String(reply.usage.cacheReadInputTokens);
  }
  if (reply.usage.cacheWriteInputTokens > 0) {
    headers['x-amzn-bedrock-cache-write-input-token-count'] = String(reply.usage.cacheWriteInputTokens);
  }
  return headers;
}

function messageId(): string {
  return `msg_bdrk_${randomBytes(12).toString('base64url')}`;
}

/** An Anthropic Messages API response body, as Claude models answer InvokeModel. */
export function anthropicInvokeBody(reply: EmulatedReply, model: string): string {
  return JSON.stringify({
    id: messageId(),
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: replyText(reply) }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage(reply.usage, reply.usage.outputTokens),
  });
}

function chunkFrame(event: object): Buffer {
  return encodeEventFrame('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64'), p: padding() });
}

/** InvokeModelWithResponseStream frames of a Claude model: Anthropic stream events wrapped in `chunk` events. */
export function anthropicStreamFrames(reply: EmulatedReply, model: string): Buffer[] {
  const { usage } = reply;
  const invocationMetrics: Record<string, number> = {
    inputTokenCount: usage.inputTokens,
    outputTokenCount: usage.outputTokens,
    invocationLatency: reply.latencyMs,
    firstByteLatency: Math.min(reply.latencyMs, 1),
  };
  if (usage.cacheReadInputTokens > 0) invocationMetrics['cacheReadInputTokenCount'] = usage.cacheReadInputTokens;
  if (usage.cacheWriteInputTokens > 0) invocationMetrics['cacheWriteInputTokenCount'] = usage.cacheWriteInputTokens;
  return [
    chunkFrame({
      type: 'message_start',
      message: {
        id: messageId(),
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: anthropicUsage(usage, 1),
      },
    }),
    chunkFrame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ...reply.deltas.map((text) =>
      chunkFrame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    ),
    chunkFrame({ type: 'content_block_stop', index: 0 }),
    chunkFrame({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: usage.outputTokens },
    }),
    chunkFrame({ type: 'message_stop', 'amazon-bedrock-invocationMetrics': invocationMetrics }),
  ];
}

/** Converse usage: cache fields appear only when the call used the cache, as on Bedrock. */
function converseUsage(usage: EmulatedUsage): Record<string, number> {
  const body: Record<string, number> = {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: totalTokens(usage),
  };
  if (usage.cacheReadInputTokens > 0) body['cacheReadInputTokens'] = usage.cacheReadInputTokens;
  if (usage.cacheWriteInputTokens > 0) body['cacheWriteInputTokens'] = usage.cacheWriteInputTokens;
  return body;
}

/** A Converse response body. */
export function converseBody(reply: EmulatedReply): string {
  return JSON.stringify({
    metrics: { latencyMs: reply.latencyMs },
    output: { message: { content: [{ text: replyText(reply) }], role: 'assistant' } },
    stopReason: 'end_turn',
    usage: converseUsage(reply.usage),
  });
}

/** ConverseStream frames: messageStart, one contentBlockDelta per delta, contentBlockStop, messageStop, metadata. */
export function converseStreamFrames(reply: EmulatedReply): Buffer[] {
  return [
    encodeEventFrame('messageStart', { p: padding(), role: 'assistant' }),
    ...reply.deltas.map((text) =>
      encodeEventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text }, p: padding() }),
    ),
    encodeEventFrame('contentBlockStop', { contentBlockIndex: 0, p: padding() }),
    encodeEventFrame('messageStop', { p: padding(), stopReason: 'end_turn' }),
    encodeEventFrame('metadata', {
      metrics: { latencyMs: reply.latencyMs },
      p: padding(),
      usage: converseUsage(reply.usage),
    }),
  ];
}
