/**
 * How far a counter may go in `incrementWithin`. Both stores compare against this ceiling, so they admit the same
 * amounts.
 */

/**
 * Relative slack above a limit. Spend is a sum of floating-point USD amounts, and such sums drift by a few units
 * in the last place (`0.1 + 0.2` is `0.30000000000000004`); without slack, the call that lands exactly on the limit
 * would be refused. One part in a billion is far below a cent on any budget and far above the drift.
 */
const RELATIVE_SLACK = 1e-9;

/** The highest value a counter with `limit` may reach. */
export function admissionCeiling(limit: number): number {
  return limit + Math.abs(limit) * RELATIVE_SLACK;
}
