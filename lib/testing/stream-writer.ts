/**
 * Writes an event stream's frames to the client, with the faults a behaviour asks for: pauses between frames,
 * an exception frame, a cut connection (between frames or inside one), a frame with a bad checksum, a frame cut
 * short by a clean end, or a stall.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { encodeExceptionFrame } from '../aws/bedrock-frames';
import type { Behaviour } from './behaviours';
import { sleep } from './sleep';

/** The stream faults of a behaviour, and the pause between frames. */
export type StreamFaults = Pick<Behaviour, 'streamException' | 'cutConnection' | 'corruptFrame' | 'truncateFrame' | 'stall'> & {
  readonly chunkDelayMs: number;
};

/**
 * Writes the frames (or those before the first fault) and ends the response, or cuts the connection when told
 * (`connection-cut`); a client going away ends the writing early too. Every piece written goes to `sent`.
 */
export async function writeFrames(
  res: ServerResponse,
  frames: readonly Buffer[],
  faults: StreamFaults,
  signal: AbortSignal,
  sent: (bytes: Buffer) => void,
): Promise<'ended' | 'connection-cut'> {
  const send = (bytes: Buffer) => {
    sent(bytes);
    return bytes;
  };
  const at = (fault: { afterFrames?: number } | undefined) =>
    fault ? Math.min(fault.afterFrames ?? 0, frames.length) : Number.POSITIVE_INFINITY;
  const exceptionAt = at(faults.streamException);
  const cutAt = at(faults.cutConnection);
  const corruptAt = at(faults.corruptFrame);
  const truncateAt = at(faults.truncateFrame);
  const stallAt = at(faults.stall);
  for (let index = 0; index <= frames.length; index++) {
    if (index > 0 && faults.chunkDelayMs > 0 && index < frames.length) await sleep(faults.chunkDelayMs, signal);
    if (index === stallAt) {
      // The head goes out first: a stall before the first frame is silence after a 200, not a late answer.
      res.flushHeaders();
      await sleep(faults.stall?.ms ?? Number.POSITIVE_INFINITY, signal);
    }
    if (signal.aborted) return 'ended';
    const frame = frames[index];
    if (index === cutAt) {
      if (faults.cutConnection?.midFrame && frame) res.write(send(frame.subarray(0, frame.length >> 1)));
      // Let the half frame reach the socket before the reset.
      setImmediate(() => res.destroy());
      return 'connection-cut';
    }
    if (index === exceptionAt) {
      const { type, message } = faults.streamException ?? { type: 'internalServerException' as const };
      res.end(send(encodeExceptionFrame(type, message ?? `Emulated ${type}`)));
      return 'ended';
    }
    if (index === truncateAt && frame) {
      res.end(send(frame.subarray(0, frame.length >> 1)));
      return 'ended';
    }
    if (index === corruptAt) {
      const corrupt = Buffer.from(frame ?? encodeExceptionFrame('internalServerException', 'corrupt'));
      corrupt[corrupt.length - 5] = (corrupt[corrupt.length - 5] as number) ^ 0xff;
      res.end(send(corrupt));
      return 'ended';
    }
    if (!frame) break;
    if (!res.write(send(frame))) await once(res, 'drain', { signal }).catch(() => undefined);
  }
  res.end();
  return 'ended';
}
