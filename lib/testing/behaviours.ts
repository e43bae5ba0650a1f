/** Scripted behaviours of the emulator: faults, delays and canned usage that tests inject for coming calls. */
import type { BedrockErrorType } from '../aws/bedrock-errors';
import type { EmulatedUsage } from './model-responses';
import type { EmulatedOperation, EmulatedStreamExceptionType } from './operations';

/** What a call names, as behaviours match it. */
export interface CallTarget {
  readonly operation: EmulatedOperation;
  readonly modelId?: string | undefined;
  readonly resourceId?: string | undefined;
}

/**
 * What the emulator does on the next matching call(s). Every field is optional and they combine:
 * `{ firstByteDelayMs: 200, streamException: { type: 'throttlingException', afterFrames: 2 } }`.
 */
export interface Behaviour {
  /** Which calls it applies to. Default: any authenticated call. */
  readonly match?: {
    readonly operation?: EmulatedOperation | readonly EmulatedOperation[];
    /** The call's recorded `modelId`: the model id as Bedrock sees it (percent-decoded), or the guardrail id for ApplyGuardrail. */
    readonly modelId?: string;
    /**
     * The call's recorded `resourceId`: the model, guardrail, knowledge base or agent id, or the
     * async invocation's ARN, decoded.
     */
    readonly resourceId?: string;
  };
  /** How many calls it applies to. Default 1; `Infinity` for every call until {@link BedrockEmulator.reset}. */
  readonly times?: number;
  /**
   * The chance (0 to 1) that it applies to a matching call; a call it skips does not count towards `times`.
   * Default 1. `{ error: ..., probability: 0.5, times: Infinity }` fails half the calls, at random.
   */
  readonly probability?: number;
  /** Answer with this error instead of a result (Bedrock's format; status from the error type unless given). */
  readonly error?: {
    readonly type: BedrockErrorType;
    readonly message?: string;
    readonly status?: number;
    /** Sent as a `retry-after` header. */
    readonly retryAfterSeconds?: number;
  };
  /** Wait before sending the response head (time to first byte). */
  readonly firstByteDelayMs?: number;
  /** Wait between stream frames. */
  readonly chunkDelayMs?: number;
  /**
   * Streams only: after `afterFrames` frames (default 0), send this exception frame and end the stream.
   * Each stream has its own set of exceptions (`streamExceptionTypes(operation)`); Bedrock never sends
   * `modelTimeoutException` on ConverseStream, for one. The emulator sends whatever it is told.
   */
  readonly streamException?: {
    readonly type: EmulatedStreamExceptionType;
    readonly message?: string;
    readonly afterFrames?: number;
  };
  /**
   * Destroy the connection. Streams: after `afterFrames` whole frames (default 0), or in the middle of the next
   * frame with `midFrame`. Other operations: before anything is sent, or with `midBody` after the head and the first
   * half of the body (of the error answer, with `error`).
   */
  readonly cutConnection?: { readonly afterFrames?: number; readonly midFrame?: boolean; readonly midBody?: boolean };
  /** Streams only: after `afterFrames` frames (default 0), send a frame with a bad checksum and end the stream. */
  readonly corruptFrame?: { readonly afterFrames?: number };
  /**
   * Streams only: after `afterFrames` frames (default 0), send the first half of the next frame and end the response
   * cleanly, as a server that miscounts would: a truncated frame, not a reset.
   */
  readonly truncateFrame?: { readonly afterFrames?: number };
  /**
   * Go silent for `ms` (default: until the caller leaves) with the head already sent. Streams: after `afterFrames`
   * frames (default 0). Other operations: after the first half of the body.
   */
  readonly stall?: { readonly afterFrames?: number; readonly ms?: number };
  /**
   * Plain answers only: blanks after the JSON until the body is `padToBytes` long (still valid JSON), written in
   * 1 MiB pieces as the caller reads them: an answer larger than a proxy's limit, without holding it in memory.
   */
  readonly padToBytes?: number;
  /** The model's (or agent's, or knowledge base's generated) answer. Streams send one delta frame per word. */
  readonly replyText?: string;
  /** Token counts to report instead of the estimate (operations that report usage: invoke, converse and their streams). */
  readonly usage?: Partial<EmulatedUsage>;
}

interface QueuedBehaviour {
  readonly behaviour: Behaviour;
  remaining: number;
}

/** Injected behaviours, consumed in order by the calls they match. */
export class BehaviourQueue {
  private queued: QueuedBehaviour[] = [];

  add(behaviour: Behaviour): void {
    const times = behaviour.times ?? 1;
    if (!(times > 0)) throw new RangeError(`times must be positive, got ${times}`);
    const probability = behaviour.probability ?? 1;
    if (!(probability > 0 && probability <= 1)) throw new RangeError(`probability must be in (0, 1], got ${probability}`);
    this.queued.push({ behaviour, remaining: times });
  }

  /** The first behaviour matching the call, counted as used; undefined when none applies. */
  take(call: CallTarget, random: () => number = Math.random): Behaviour | undefined {
    const index = this.queued.findIndex(({ behaviour: { match, probability } }) => {
      if (match) {
        const operations = typeof match.operation === 'string' ? [match.operation] : match.operation;
        if (operations && !operations.includes(call.operation)) return false;
        if (match.modelId !== undefined && match.modelId !== call.modelId) return false;
        if (match.resourceId !== undefined && match.resourceId !== call.resourceId) return false;
      }
      return probability === undefined || random() < probability;
    });
    const entry = this.queued[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.queued.splice(index, 1);
    return entry.behaviour;
  }

  clear(): void {
    this.queued = [];
  }

  get size(): number {
    return this.queued.length;
  }
}
