/**
 * Gives an upstream answer to the client: the head, then the body as it arrives, with backpressure both ways.
 * Streams are forwarded whole frame by whole frame, exactly as received, so that if the upstream fails midway the
 * client gets a well-formed `internalServerException` frame after the last whole frame: never a cut frame, never
 * a hang.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { encodeExceptionFrame } from '../aws/bedrock-frames';
import type { EventStreamFrame } from '../aws/eventstream';
import type { Answer } from './attempt';

/** How the relay ended. */
export type RelayOutcome = 'completed' | 'client-aborted' | 'upstream-failed';

export interface RelayOptions {
  readonly deploymentId: string;
  /** Streams: the longest silence allowed between two frames. */
  readonly streamTimeoutMs?: number | undefined;
  /** Sees every chunk of a plain answer (to count tokens). */
  readonly onChunk?: ((chunk: Buffer) => void) | undefined;
  /** Sees every frame of a stream (to count tokens). */
  readonly onFrame?: ((frame: EventStreamFrame) => void) | undefined;
}

const CLIENT_GONE = 'client gone';

export function relayAnswer(res: ServerResponse, answer: Answer, headers: OutgoingHttpHeaders, options: RelayOptions): Promise<RelayOutcome> {
  return new Promise((resolve) => {
    const { body } = answer;
    const stream = answer.stream;
    let gapTimer: NodeJS.Timeout | undefined;
    let finished = false;

    const finish = (outcome: RelayOutcome) => {
      if (finished) return;
      finished = true;
      clearTimeout(gapTimer);
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      res.off('drain', onDrain);
      res.off('close', onClose);
      answer.timedOut.removeEventListener('abort', onTimeout);
      answer.settle();
      resolve(outcome);
    };
    /** The upstream failed after the client got the head: end as Bedrock ends a failed stream. */
    const fail = (reason: string) => {
      if (finished) return;
      answer.abort(reason);
      if (stream) {
        res.end(encodeExceptionFrame('internalServerException', `The stream from deployment ${options.deploymentId} failed: ${reason}.`));
      } else {
        // A plain body cut short has no honest ending but a cut connection.
        res.destroy();
      }
      finish('upstream-failed');
    };
    const armGapTimer = () => {
      if (options.streamTimeoutMs === undefined) return;
      clearTimeout(gapTimer);
      gapTimer = setTimeout(() => fail(`no event for ${options.streamTimeoutMs! / 1000} s`), options.streamTimeoutMs);
    };
    const forward = (frames: readonly EventStreamFrame[], chunk?: Buffer): boolean => {
      if (options.onFrame) for (const frame of frames) options.onFrame(frame);
      armGapTimer();
      if (frames.length === 1) return res.write((frames[0] as EventStreamFrame).raw);
      if (chunk && tiles(frames, chunk)) return res.write(chunk);
      return res.write(Buffer.concat(frames.map((frame) => frame.raw)));
    };

    const onData = (chunk: Buffer) => {
      let writable = true;
      if (stream) {
        const frames = stream.decoder.push(chunk);
        if (frames.length > 0) writable = forward(frames, chunk);
        if (stream.decoder.error) return fail(`corrupt event stream (${stream.decoder.error.code})`);
      } else {
        options.onChunk?.(chunk);
        writable = res.write(chunk);
      }
      if (!writable) body.pause();
    };
    const onDrain = () => body.resume();
    const onEnd = () => {
      const truncated = stream?.decoder.end();
      if (truncated) return fail(`the stream ended inside a frame`);
      res.end();
      finish('completed');
    };
    const onError = (error: unknown) => fail(String((error as Error)?.message ?? error));
    const onClose = () => {
      if (res.writableFinished || finished) return;
      answer.abort(CLIENT_GONE);
      finish('client-aborted');
    };
    const onTimeout = () => fail('the call took longer than its timeout');

    res.writeHead(answer.status, headers);
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    res.on('drain', onDrain);
    res.on('close', onClose);
    answer.timedOut.addEventListener('abort', onTimeout, { once: true });
    if (stream && stream.ready.length > 0) forward(stream.ready);
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
