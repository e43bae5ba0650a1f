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
    const { body, decoder } = answer;
    let gapTimer: NodeJS.Timeout | undefined;
    let finished = false;

    const finish = (outcome: RelayOutcome, errorType?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(gapTimer);
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      res.off('drain', onDrain);
      res.off('close', onClose);
      answer.settle();
      resolve({ outcome, errorType });
    };
    /** The upstream failed after the client got the head: end as Bedrock ends a failed stream. */
    const fail = (errorType: string, reason: string) => {
      if (finished) return;
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
    const forward = (frames: readonly EventStreamFrame[], chunk?: Buffer): boolean => {
      for (const frame of frames) options.onFrame(frame);
      armGapTimer();
      if (frames.length === 1) return res.write((frames[0] as EventStreamFrame).raw);
      if (chunk && tiles(frames, chunk)) return res.write(chunk);
      return res.write(Buffer.concat(frames.map((frame) => frame.raw)));
    };

    const onData = (chunk: Buffer) => {
      const frames = decoder.push(chunk);
      const writable = frames.length === 0 || forward(frames, chunk);
      if (decoder.error) return fail('CorruptStream', `corrupt event stream (${decoder.error.code})`);
      if (!writable) body.pause();
    };
    const onDrain = () => body.resume();
    const onEnd = () => {
      const truncated = decoder.end();
      if (truncated) return fail('TruncatedStream', 'the stream ended inside a frame');
      res.end();
      finish('completed');
    };
    const onError = (error: unknown) => fail('StreamFailed', String((error as Error)?.message ?? error));
    const onClose = () => {
      // writableEnded, not writableFinished: HTTP/2's compatibility API reports a reset stream as finished.
      if (res.writableEnded || finished) return;
      answer.abort(CLIENT_GONE);
      finish('client-aborted');
    };
    const onTimeout = () => fail('StreamTimeout', 'the call took longer than its timeout');

    res.writeHead(answer.status, headers);
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    res.on('drain', onDrain);
    res.on('close', onClose);
    // No unregistering: finishing settles the attempt, which clears its deadline.
    answer.onTimeout(onTimeout);
    if (answer.ready.length > 0) forward(answer.ready);
    // A short stream may have ended while its first frame was being read: its 'end' has been and gone.
    if (body.readableEnded) return onEnd();
    body.resume();
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
