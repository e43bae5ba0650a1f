/**
 * Gives an upstream stream to the client: the head, then whole frames as they arrive, exactly as received, with
 * backpressure both ways. If the upstream fails midway, the client gets a well-formed `internalServerException`
 * frame after the last whole frame: never a cut frame, never a hang.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { encodeExceptionFrame } from '../aws/bedrock-frames';
import type { EventStreamFrame } from '../aws/eventstream';
import type { StreamAnswer } from './attempt';

/** How the relay ended. */
export type RelayOutcome = 'completed' | 'client-aborted' | 'upstream-failed';

/** How the relay ended, and why when the upstream failed. */
export interface RelayResult {
  readonly outcome: RelayOutcome;
  /** `StreamFailed` (reset or error), `StreamTimeout`, `CorruptStream` or `TruncatedStream`. */
  readonly errorType?: string | undefined;
}

export interface RelayOptions {
  readonly deploymentId: string;
  /** The longest silence allowed between two frames. */
  readonly streamTimeoutMs?: number | undefined;
  /** Sees every frame, in order (to count tokens). */
  readonly onFrame: (frame: EventStreamFrame) => void;
}

const CLIENT_GONE = 'client gone';

export function relayStream(res: ServerResponse, answer: StreamAnswer, headers: OutgoingHttpHeaders, options: RelayOptions): Promise<RelayResult> {
  return new Promise((resolve) => {
    const { exchange, decoder } = answer;
    let gapTimer: NodeJS.Timeout | undefined;
    let finished = false;

    const finish = (outcome: RelayOutcome, errorType?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(gapTimer);
      exchange.detach();
      res.off('drain', onDrain);
      res.off('close', onClose);
      answer.settle();
      resolve({ outcome, errorType });
    };
    /** The upstream failed after the client got the head: end as Bedrock ends a failed stream. */
    const fail = (errorType: string, reason: string) => {
      if (finished) return;
      // Detached first: aborting reports the abort back as an error, which must not fail the relay a second time.
      exchange.detach();
      answer.abort(reason);
      res.end(encodeExceptionFrame('internalServerException', `The stream from deployment ${options.deploymentId} failed: ${reason}.`));
      finish('upstream-failed', errorType);
    };
    const armGapTimer = () => {
      if (options.streamTimeoutMs === undefined) return;
      // One timer per stream, pushed back at every frame: refresh() re-arms it without a new Timeout object.
      if (gapTimer) gapTimer.refresh();
      else gapTimer = setTimeout(() => fail('StreamTimeout', `no event for ${options.streamTimeoutMs! / 1000} s`), options.streamTimeoutMs);
    };
    /**
     * While the client is not taking what was sent (backpressure), the upstream is paused on purpose: its silence
     * is the client's, not a stall, and must not end the stream. The timer starts afresh once the client drains.
     */
    const holdGapTimer = () => {
      clearTimeout(gapTimer);
      // A cleared timer cannot be refreshed: the next frame arms a new one.
      gapTimer = undefined;
    };
    const forward = (frames: readonly EventStreamFrame[], chunk?: Buffer): boolean => {
      for (const frame of frames) options.onFrame(frame);
      armGapTimer();
      if (frames.length === 1) return res.write((frames[0] as EventStreamFrame).raw);
      if (chunk && tiles(frames, chunk)) return res.write(chunk);
      return res.write(Buffer.concat(frames.map((frame) => frame.raw)));
    };

    const onData = (chunk: Buffer): boolean => {
      const frames = decoder.push(chunk);
      const writable = frames.length === 0 || forward(frames, chunk);
      if (decoder.error) {
        fail('CorruptStream', `corrupt event stream (${decoder.error.code})`);
        return false;
      }
      // Backpressure: a client that reads slowly pauses the upstream.
      if (!writable) holdGapTimer();
      return writable;
    };
    const onDrain = () => {
      armGapTimer();
      exchange.resume();
    };
    const onEnd = () => {
      const truncated = decoder.end();
      if (truncated) return fail('TruncatedStream', 'the stream ended inside a frame');
      res.end();
      finish('completed');
    };
    const clientLeft = () => {
      exchange.detach();
      answer.abort(CLIENT_GONE);
      finish('client-aborted');
    };
    const onError = (error: unknown) => {
      // The client leaving aborts the upstream call before the response's 'close' reaches us: not the upstream's fault.
      if (answer.clientGone.left) return clientLeft();
      fail('StreamFailed', String((error as Error)?.message ?? error));
    };
    const onClose = () => {
      // writableEnded, not writableFinished: HTTP/2's compatibility API reports a reset stream as finished.
      if (res.writableEnded || finished) return;
      clientLeft();
    };
    const onTimeout = () => fail('StreamTimeout', 'the call took longer than its timeout');

    res.writeHead(answer.status, headers);
    res.on('drain', onDrain);
    res.on('close', onClose);
    // No unregistering: finishing settles the attempt, which clears its deadline.
    answer.onTimeout(onTimeout);
    const writable = answer.ready.length === 0 || forward(answer.ready);
    if (!writable) holdGapTimer();
    // What arrived after the first frame(s) comes now (the end of a short stream included), then the rest.
    exchange.attach({ data: onData, end: onEnd, error: onError });
    if (writable && !finished) exchange.resume();
  });
}

/** Whether the frames are exactly the chunk, back to back: then the chunk itself goes out, without a copy. */
function tiles(frames: readonly EventStreamFrame[], chunk: Buffer): boolean {
  const first = frames[0] as EventStreamFrame;
  if (first.raw.buffer !== chunk.buffer || first.raw.byteOffset !== chunk.byteOffset) return false;
  let length = 0;
  for (const frame of frames) length += frame.raw.length;
  return length === chunk.length;
}
