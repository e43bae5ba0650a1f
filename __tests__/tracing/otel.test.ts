/**
 * The gateway's spans, recorded by the OpenTelemetry SDK into memory: names, kinds, parents, attributes, times and
 * status, and the no-op when `@opentelemetry/api` is not installed.
 *
 * `@opentelemetry/context-async-hooks` is not a dependency, so the active context comes from a small synchronous
 * context manager below: enough for `context.with(...)` around `begin()`, which is all the gateway relies on.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type ContextManager,
  type HrTime,
  type SpanContext,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createTracing, type Tracing } from '../../lib/tracing/otel';
import { T0, usageRecord } from '../metrics/usage-records';

/** `context.with` for synchronous code: a stack of contexts. */
class StackContextManager implements ContextManager {
  private stack: Context[] = [];
  active(): Context {
    return this.stack.at(-1) ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    this.stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.stack = [];
    return this;
  }
}

/** Reads `traceparent` (W3C: version-traceid-spanid-flags) into a remote parent. */
const traceparentPropagator: TextMapPropagator = {
  inject() {},
  extract(ctx, carrier, getter) {
    const header = getter.get(carrier, 'traceparent');
    const [, traceId, spanId, flags] = (Array.isArray(header) ? header[0] : header)?.split('-') ?? [];
    if (!traceId || !spanId || !flags) return ctx;
    return trace.setSpanContext(ctx, { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true });
  },
  fields: () => ['traceparent'],
};

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new StackContextManager());
propagation.setGlobalPropagator(traceparentPropagator);

async function finishedSpans(): Promise<ReadableSpan[]> {
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

/** The one request span finished (attempt spans, which end first, are CLIENT spans). */
async function requestSpan(): Promise<ReadableSpan> {
  return only(await finishedSpans(), (span) => span.kind !== SpanKind.CLIENT);
}

function ms(time: HrTime): number {
  return time[0] * 1000 + time[1] / 1e6;
}

function only<T>(items: readonly T[], where: (item: T) => boolean): T {
  const found = items.filter(where);
  if (found.length !== 1) throw new Error(`expected one, found ${found.length}`);
  return found[0] as T;
}

const RETRIED = usageRecord({
  requestId: 'req-retried',
  deploymentId: 'claude-us',
  modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
  region: 'us-east-1',
  operation: 'converse-stream',
  streamed: true,
  timeToFirstByteMs: 650,
  attempts: [
    { deploymentId: 'claude-eu', modelName: 'claude', modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0', region: 'eu-west-1', status: 429, errorType: 'ThrottlingException', startedAt: T0 + 2, latencyMs: 80, durationMs: 80, outcome: 'failed' },
    { deploymentId: 'claude-us', modelName: 'claude', modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0', region: 'us-east-1', status: 200, startedAt: T0 + 300, latencyMs: 340, durationMs: 1190, outcome: 'served' },
  ],
});

describe('request spans', () => {
  let tracing: Tracing;
  beforeEach(() => {
    exporter.reset();
    tracing = createTracing();
  });

  it('are named and described by the GenAI conventions, with the gateway’s own attributes', async () => {
    tracing.end(tracing.begin(), usageRecord());
    const span = await requestSpan();
    expect(span.name).toBe('chat claude');
    expect(span.instrumentationScope.name).toBe('bedrock-passthrough');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.system': 'aws.bedrock',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'claude',
      'gen_ai.response.model': 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
      // Cached tokens are part of the conventions' input count; Bedrock counts them apart.
      'gen_ai.usage.input_tokens': 1350,
      'gen_ai.usage.output_tokens': 200,
      'gen_ai.usage.cache_read.input_tokens': 300,
      'gen_ai.usage.cache_creation.input_tokens': 50,
      'http.response.status_code': 200,
      'bedrock_passthrough.request_id': 'req-1',
      'bedrock_passthrough.key_id': 'key-1',
      'bedrock_passthrough.operation': 'converse',
      'bedrock_passthrough.deployment': 'claude-eu',
      'bedrock_passthrough.region': 'eu-west-1',
      'bedrock_passthrough.streamed': false,
      'bedrock_passthrough.outcome': 'completed',
      'bedrock_passthrough.attempts': 1,
      'bedrock_passthrough.cost_usd': 0.0125,
      'bedrock_passthrough.time_to_first_byte_ms': 1480,
      'bedrock_passthrough.overhead_ms': 0.3,
    });
  });

  it('name InvokeModel generate_content, and streams carry time to first chunk in seconds', async () => {
    tracing.end(tracing.begin(), usageRecord({ operation: 'invoke-with-response-stream', streamed: true, timeToFirstByteMs: 650 }));
    const span = await requestSpan();
    expect(span.name).toBe('generate_content claude');
    expect(span.attributes['gen_ai.operation.name']).toBe('generate_content');
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBe(0.65);
  });

  it('are SERVER roots when nothing is active and no trace came in', async () => {
    tracing.end(tracing.begin({}), usageRecord());
    const span = await requestSpan();
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.parentSpanContext).toBeUndefined();
  });

  it("are INTERNAL children of the host's active span (its HTTP server span)", async () => {
    const host = provider.getTracer('host').startSpan('GET /bedrock/model/claude/converse', { kind: SpanKind.SERVER });
    const begun = context.with(trace.setSpan(context.active(), host), () => tracing.begin({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }));
    tracing.end(begun, usageRecord());
    host.end();
    const spans = await finishedSpans();
    const request = only(spans, (span) => span.name === 'chat claude');
    expect(request.kind).toBe(SpanKind.INTERNAL);
    // The host already extracted the client's context: the headers are not read again.
    expect(request.parentSpanContext?.spanId).toBe(host.spanContext().spanId);
    expect(request.spanContext().traceId).toBe(host.spanContext().traceId);
  });

  it("continue a client's trace from traceparent when no span is active", async () => {
    const begun = tracing.begin({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    tracing.end(begun, usageRecord());
    const span = await requestSpan();
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span.parentSpanContext).toMatchObject({ spanId: 'b7ad6b7169203331', isRemote: true });
  });

  it('span the request from begin to end', async () => {
    const before = Date.now();
    const begun = tracing.begin();
    await new Promise((resolve) => setTimeout(resolve, 20));
    tracing.end(begun, usageRecord());
    const after = Date.now();
    const span = await requestSpan();
    expect(ms(span.startTime)).toBeGreaterThanOrEqual(before - 1);
    expect(ms(span.endTime)).toBeLessThanOrEqual(after + 1);
    expect(ms(span.duration)).toBeGreaterThanOrEqual(19);
  });

  it.each([
    ['an error status', { status: 429, errorType: 'ThrottlingException' }, 'ThrottlingException'],
    ['an error status without a type', { status: 502, errorType: undefined }, '502'],
    ['a stream that failed after its head', { status: 200, outcome: 'upstream-failed' as const, errorType: 'StreamFailed' }, 'StreamFailed'],
  ])('are errors on %s', async (_label, overrides, errorType) => {
    tracing.end(tracing.begin(), usageRecord(overrides));
    const span = await requestSpan();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: errorType });
    expect(span.attributes['error.type']).toBe(errorType);
  });

  it('are not errors when the client went away', async () => {
    tracing.end(tracing.begin(), usageRecord({ outcome: 'client-aborted' }));
    const span = await requestSpan();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['bedrock_passthrough.outcome']).toBe('client-aborted');
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('record nothing more under an unsampled parent', async () => {
    const unsampled: SpanContext = { traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: TraceFlags.NONE };
    const begun = context.with(trace.setSpanContext(ROOT_CONTEXT, unsampled), () => tracing.begin());
    tracing.end(begun, RETRIED);
    expect(await finishedSpans()).toEqual([]);
  });
});

describe('attempt spans', () => {
  let spans: ReadableSpan[];
  let request: ReadableSpan;
  let attempts: ReadableSpan[];

  beforeAll(async () => {
    exporter.reset();
    const tracing = createTracing({ tracerName: 'my-gateway' });
    tracing.end(tracing.begin(), RETRIED);
    spans = await finishedSpans();
    request = only(spans, (span) => span.name === 'chat claude');
    attempts = spans.filter((span) => span !== request).sort((a, b) => ms(a.startTime) - ms(b.startTime));
  });

  it('are CLIENT children of the request span, one per attempt, named for the call and its deployment', () => {
    expect(spans).toHaveLength(3);
    expect(attempts.map((span) => span.name)).toEqual(['converse-stream claude-eu', 'converse-stream claude-us']);
    for (const attempt of attempts) {
      expect(attempt.kind).toBe(SpanKind.CLIENT);
      expect(attempt.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
      expect(attempt.spanContext().traceId).toBe(request.spanContext().traceId);
      expect(attempt.instrumentationScope.name).toBe('my-gateway');
    }
  });

  it('take their times from the attempt records', () => {
    const [failed, served] = attempts;
    expect(ms(failed!.startTime)).toBe(T0 + 2);
    expect(ms(failed!.endTime)).toBe(T0 + 82);
    expect(ms(served!.startTime)).toBe(T0 + 300);
    expect(ms(served!.endTime)).toBe(T0 + 1490);
  });

  it('describe each attempt; the failed one is an error with its type', () => {
    const [failed, served] = attempts;
    expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ThrottlingException' });
    expect(failed?.attributes).toEqual({
      'bedrock_passthrough.attempt': 1,
      'bedrock_passthrough.deployment': 'claude-eu',
      'bedrock_passthrough.model_name': 'claude',
      'bedrock_passthrough.outcome': 'failed',
      'bedrock_passthrough.latency_ms': 80,
      'http.response.status_code': 429,
      'error.type': 'ThrottlingException',
    });
    expect(served?.status.code).toBe(SpanStatusCode.UNSET);
    expect(served?.attributes).toEqual({
      'bedrock_passthrough.attempt': 2,
      'bedrock_passthrough.deployment': 'claude-us',
      'bedrock_passthrough.model_name': 'claude',
      'bedrock_passthrough.model_id': 'us.anthropic.claude-sonnet-4-20250514-v1:0',
      'bedrock_passthrough.region': 'us-east-1',
      'bedrock_passthrough.outcome': 'served',
      'bedrock_passthrough.latency_ms': 340,
      'http.response.status_code': 200,
    });
  });

  it('carry no gen_ai usage, so backends summing tokens count the request once', () => {
    for (const attempt of attempts) expect(Object.keys(attempt.attributes).filter((key) => key.startsWith('gen_ai.'))).toEqual([]);
    expect(request.attributes['bedrock_passthrough.attempts']).toBe(2);
  });
});

describe('without @opentelemetry/api', () => {
  function isolatedCreateTracing(failure: Error): typeof createTracing {
    let create: typeof createTracing | undefined;
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw failure;
      });
      create = (require('../../lib/tracing/otel') as typeof import('../../lib/tracing/otel')).createTracing;
    });
    return create!;
  }

  it('is a no-op: begin returns one shared value, end does nothing', async () => {
    exporter.reset();
    const missing = Object.assign(new Error("Cannot find module '@opentelemetry/api' from 'lib/metrics/optional-peer.ts'"), { code: 'MODULE_NOT_FOUND' });
    const tracing = isolatedCreateTracing(missing)();
    const first = tracing.begin({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(tracing.begin()).toBe(first);
    expect(() => tracing.end(first, RETRIED)).not.toThrow();
    expect(await finishedSpans()).toEqual([]);
  });

  it('still fails loudly when the package is there but broken', () => {
    const broken = Object.assign(new Error("Cannot find module './platform' from 'node_modules/@opentelemetry/api/build/src/index.js'"), { code: 'MODULE_NOT_FOUND' });
    expect(() => isolatedCreateTracing(broken)()).toThrow('./platform');
  });
});
