/** The one factory the router calls to turn `router_settings.routing_strategy` into a {@link Balancer}. */
import type { RouterSettings } from '../config/types';
import type { Balancer } from '../types';
import { createLatencyBased } from './latency-based';
import { createLeastBusy } from './least-busy';
import { createRoundRobin } from './round-robin';
import { createSimpleShuffle } from './simple-shuffle';
import type { DeploymentStats } from './stats';
import { createUsageBased } from './usage-based';

type StrategyName = NonNullable<RouterSettings['routing_strategy']>;

/**
 * Every name the config accepts, but `cost-based-routing`: it needs prices, which the gateway does not have yet.
 * A record so that the compiler fails here when the config gains a strategy this table does not build.
 */
const STRATEGIES: Record<Exclude<StrategyName, 'cost-based-routing'>, (stats: DeploymentStats, random: () => number) => Balancer> = {
  'simple-shuffle': (_stats, random) => createSimpleShuffle(random),
  'round-robin': () => createRoundRobin(),
  'least-busy': createLeastBusy,
  'latency-based-routing': (stats, random) => createLatencyBased(stats, random),
  'usage-based-routing': createUsageBased,
  // LiteLLM's v2 changed how the counters are kept (shared through Redis), which is the router's job here.
  'usage-based-routing-v2': createUsageBased,
};

/**
 * The built-in balancer for a LiteLLM `routing_strategy` name; `simple-shuffle` when none is given.
 *
 * Returns undefined for a name it cannot build: `cost-based-routing` (accepted by the config so LiteLLM files load,
 * not implemented) and any unknown name. The caller then falls back to simple-shuffle and logs a warning. A return
 * value rather than an exception, so that the compiler makes every caller handle it; it is not a failure of the
 * request path, only of a setting.
 *
 * @param stats The router's view of each deployment's traffic, read on every pick.
 * @param random A source of numbers in [0, 1), replaceable for tests.
 */
export function createBalancer(
  strategy: string | undefined,
  stats: DeploymentStats,
  random: () => number = Math.random,
): Balancer | undefined {
  const name = strategy ?? 'simple-shuffle';
  return isBuilt(name) ? STRATEGIES[name](stats, random) : undefined;
}

/** An own-property check: `constructor` or `__proto__` must not reach Object.prototype. */
function isBuilt(name: string): name is keyof typeof STRATEGIES {
  return Object.hasOwn(STRATEGIES, name);
}
