/**
 * Writes a plain (non-streamed) answer with the faults a behaviour asks for: a connection cut or a stall halfway
 * through the body, or blanks after it up to a size.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Behaviour } from './behaviours';
import { sleep } from './sleep';

/** The faults of a behaviour that apply to plain answers. */
export type BodyFaults = Pick<Behaviour, 'cutConnection' | 'stall' | 'padToBytes'>;

/** Padding goes out in pieces of this size, each after the caller took the one before: memory stays flat. */
const PADDING = Buffer.alloc(1024 * 1024, 0x20);

/**
 * Sends the head and `body`, then any padding, and ends the response, or cuts the connection when told
 * (`connection-cut`); a client going away ends the writing early. The body's pieces (not the padding) go to `sent`;
 * `padded` counts the padding written.
 */
export async function writeBody(
  res: ServerResponse,
  headers: Readonly<Record<string, string>>,
  body: Buffer,
  faults: BodyFaults,
  signal: AbortSignal,
  sent: (bytes: Buffer, padding: boolean) => void,
): Promise<'ended' | 'connection-cut'> {
  const length = Math.max(body.length, faults.padToBytes ?? 0);
  const write = (bytes: Buffer, padding = false) => {
    sent(bytes, padding);
    return res.write(bytes);
  };
  res.writeHead(200, { ...headers, 'content-length': length });
  if (faults.cutConnection?.midBody || faults.stall) {
    write(body.subarray(0, body.length >> 1));
    if (faults.cutConnection?.midBody) {
      // Let the half body reach the socket before the reset.
      setImmediate(() => res.destroy());
      return 'connection-cut';
    }
    await sleep(faults.stall?.ms ?? Number.POSITIVE_INFINITY, signal);
    if (signal.aborted) return 'ended';
    write(body.subarray(body.length >> 1));
  } else {
    write(body);
  }
  for (let left = length - body.length; left > 0 && !signal.aborted; left -= PADDING.length) {
    if (!write(PADDING.subarray(0, Math.min(left, PADDING.length)), true)) await once(res, 'drain', { signal }).catch(() => undefined);
  }
  res.end();
  return 'ended';
}
