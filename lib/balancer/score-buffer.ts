/**
 * Scratch space for the built-in balancers: one number per candidate, reused from pick to pick. A pick reads each
 * deployment's stats once into it, so its passes see one consistent snapshot (a minute's counters cannot roll
 * over between them) and it allocates nothing once the buffer has grown to the largest group.
 */

/** Returns a function that hands out a buffer at least `length` long; its contents are left over from earlier calls. */
export function createScoreBuffer(): (length: number) => Float64Array {
  let buffer = new Float64Array(16);
  return (length) => {
    // Doubling keeps the number of reallocations logarithmic however the groups grow.
    if (buffer.length < length) buffer = new Float64Array(Math.max(length, buffer.length * 2));
    return buffer;
  };
}
