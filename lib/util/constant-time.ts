import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets in time that depends on neither their content nor their length: both sides are hashed
 * to the same size first, so a caller cannot learn a key byte by byte, or its length, from response times.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}
