/**
 * OpenTelemetry traces for the gateway: one span per request, begun when the request is routed, ended with its usage
 * record, plus one CLIENT child span per upstream attempt, recorded after the fact from the attempt records' times.
 *
 * `@opentelemetry/api` is an optional peer dependency: it is required only when tracing is created, and when it is
 * not installed tracing is a no-op whose begin and end do nothing. Like every OpenTelemetry instrumentation, spans go
 * to the host's globally registered tracer provider; without one, the API's own no-op spans cost next to nothing.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type * as OtelApi from '@opentelemetry/api';
import { requireOptionalPeer } from '../util/optional-peer';
import {
  attemptAttributes,
  attemptSpanName,
  PENDING_SPAN_NAME,
  requestAttributes,
  requestError,
  requestSpanName,
  startAttributes,
  type TracedRequest,
} from './attributes';

declare const requestTraceBrand: unique symbol;
/** One request's trace, from {@link Tracing.begin} to {@link Tracing.end}. Opaque. */
export interface RequestTrace {
  readonly [requestTraceBrand]: true;
}

/** Begins and ends requests' spans. */
export interface Tracing {
  /**
   * Starts the request's span as a child of the active context (a host's HTTP server span, when the host is
   * instrumented). When no span is active, the parent is read from `headers` (`traceparent`) with the globally
   * registered propagator, so a standalone gateway continues its clients' traces.
   */
  begin(headers?: IncomingHttpHeaders): RequestTrace;
  /** Completes the request's span from its usage record and records its attempts' spans. Does not throw. */
  end(trace: RequestTrace, request: TracedRequest): void;
}

/** How a host turns tracing on: `createBedrockPassthrough({ ...config, tracing: {} })`. */
export interface TracingOptions {
  /** The tracer's (instrumentation scope's) name. Default `bedrock-passthrough`. */
  readonly tracerName?: string | undefined;
}

const DEFAULT_TRACER_NAME = 'bedrock-passthrough';

const NOOP_TRACE = Object.freeze({}) as RequestTrace;
const NOOP_TRACING: Tracing = Object.freeze({ begin: () => NOOP_TRACE, end: () => undefined });

/**
 * Creates the gateway's tracing on the global tracer provider; a no-op when `@opentelemetry/api` is not installed.
 */
export function createTracing(options: TracingOptions = {}): Tracing {
  const api = requireOptionalPeer<typeof OtelApi>('@opentelemetry/api');
  if (!api) return NOOP_TRACING;
  const { context, propagation, trace, SpanKind, SpanStatusCode } = api;
  const tracer = trace.getTracer(options.tracerName ?? DEFAULT_TRACER_NAME);

  return {
    begin(headers) {
      let parent = context.active();
      const local = trace.getSpanContext(parent);
      if (!local && headers) parent = propagation.extract(parent, headers);
      const parentSpan = trace.getSpanContext(parent);
      // One SERVER span per inbound request: ours, unless the host's instrumentation already made one in-process.
      const kind = !parentSpan || parentSpan.isRemote ? SpanKind.SERVER : SpanKind.INTERNAL;
      const span = tracer.startSpan(PENDING_SPAN_NAME, { kind, attributes: startAttributes() }, parent);
      return span as unknown as RequestTrace;
    },

    end(requestTrace, request) {
      const span = requestTrace as unknown as OtelApi.Span;
      if (!span.isRecording()) {
        span.end();
        return;
      }
      span.updateName(requestSpanName(request));
      span.setAttributes(requestAttributes(request));
      const error = requestError(request);
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });

      const parent = trace.setSpan(context.active(), span);
      request.attempts.forEach((attempt, index) => {
        const child = tracer.startSpan(
          attemptSpanName(request, attempt),
          { kind: SpanKind.CLIENT, startTime: attempt.startedAt, attributes: attemptAttributes(request, attempt, index + 1) },
          parent,
        );
        if (attempt.outcome === 'failed') child.setStatus({ code: SpanStatusCode.ERROR, message: attempt.errorType ?? '_OTHER' });
        child.end(attempt.startedAt + attempt.durationMs);
      });
      span.end();
    },
  };
}
