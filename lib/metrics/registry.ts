/**
 * The host's prom-client registry as the gateway sees it, and the metric instances on it: loaded lazily, because
 * prom-client is an optional peer dependency that the main entry must never pull in, and reused when a metric of the
 * same name is already registered (two gateways in one app share one set of series).
 */
import type * as PromClient from 'prom-client';
import { requireOptionalPeer } from '../util/optional-peer';
import type { PrometheusRegistry } from './types';

/** The prom-client module. */
export type PromClientModule = typeof PromClient;

/**
 * Loads prom-client on first use. As a peer dependency it resolves to the host's own copy, the one its registry
 * comes from; and prom-client's registry only duck-types the metrics it holds, so even a second copy serializes.
 * @throws when prom-client is not installed, saying how to fix it.
 */
export function loadPromClient(): PromClientModule {
  const client = requireOptionalPeer<PromClientModule>('prom-client');
  if (!client) throw new Error('Prometheus metrics need the prom-client package (>= 15): npm install prom-client');
  return client;
}

/**
 * The metric `name` already on `registry` when it has the same labels and the methods the gateway calls, else the
 * one `create` registers. Reuse makes a second gateway on the same registry share the series instead of throwing
 * prom-client's "already registered".
 * @throws when a metric of that name exists with other labels or of another kind: sharing it would corrupt both.
 */
export function registeredOrNew<T extends object>(
  registry: PrometheusRegistry,
  name: string,
  labelNames: readonly string[],
  method: 'inc' | 'observe' | 'set',
  create: () => T,
): T {
  const existing = registry.getSingleMetric(name) as { labelNames?: unknown; [key: string]: unknown } | undefined;
  if (existing === undefined) return create();
  const existingLabels = Array.isArray(existing.labelNames) ? (existing.labelNames as unknown[]) : [];
  const sameLabels = existingLabels.length === labelNames.length && labelNames.every((label) => existingLabels.includes(label));
  if (!sameLabels || typeof existing[method] !== 'function') {
    throw new Error(
      `The metric ${name} is already registered with labels [${existingLabels.join(', ')}]; the gateway needs [${labelNames.join(', ')}]. ` +
        'Give this gateway another metrics prefix, or the same metrics options as the first.',
    );
  }
  return existing as T;
}
