/**
 * The metrics' public types, kept apart from anything that names prom-client: the library's type declarations must
 * compile for hosts that have not installed it.
 */

/**
 * What the gateway needs of a prom-client `Registry`. Structural, so that the declarations do not import
 * `prom-client`; any prom-client ≥ 15 `Registry` (or its global `register`) fits.
 */
export interface PrometheusRegistry {
  getSingleMetric(name: string): unknown;
  registerMetric(metric: never): void;
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** One deployment's state, as the gateway's cooldowns see it. */
export interface DeploymentHealth {
  readonly deploymentId: string;
  readonly modelName: string;
  readonly coolingDown: boolean;
}

/** Reports every deployment's state; called at each scrape. Must not throw: an error fails the whole scrape. */
export type DeploymentHealthReport = () => Iterable<DeploymentHealth>;
