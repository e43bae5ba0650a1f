/**
 * The deployment health gauge: 1 while a deployment is cooling down, 0 while it is in rotation. Read from the
 * gateway at scrape time rather than pushed on every change, so it is exactly what routing sees at that moment and
 * costs nothing between scrapes.
 */
import type { Gauge, Registry } from 'prom-client';
import { registeredOrNew, type PromClientModule } from './registry';
import type { DeploymentHealthReport, PrometheusRegistry } from './types';

const LABEL_NAMES = ['model_name', 'deployment'] as const;

/**
 * The reports behind each gauge this module created: a second gateway on the same registry adds its report to the
 * gauge the first one registered, and each scrape shows the deployments of both.
 */
const reportsByGauge = new WeakMap<object, Set<DeploymentHealthReport>>();

/**
 * Registers the gauge `name` on `registry` (or joins the one registered there) and adds `report` to what it shows.
 * @returns what removes `report` again, for a gateway that closes while the registry lives on.
 */
export function addDeploymentHealthGauge(
  client: PromClientModule,
  registry: PrometheusRegistry,
  name: string,
  report: DeploymentHealthReport,
): () => void {
  const gauge = registeredOrNew(registry, name, LABEL_NAMES, 'set', () => {
    const reports = new Set<DeploymentHealthReport>();
    const created = new client.Gauge({
      name,
      help: 'Whether a deployment is cooling down (1) after failures, or in rotation (0).',
      labelNames: LABEL_NAMES,
      registers: [registry as unknown as Registry],
      collect(this: Gauge<(typeof LABEL_NAMES)[number]>) {
        refresh(this, reports);
      },
    });
    reportsByGauge.set(created, reports);
    return created;
  });
  const reports = reportsByGauge.get(gauge);
  if (!reports) throw new Error(`The metric ${name} is registered by something other than bedrock-passthrough.`);
  reports.add(report);
  return () => reports.delete(report);
}

/**
 * Replaces the gauge's series with what the reports say now: deployments no longer reported disappear, and a
 * deployment two gateways report is cooling down if either says so.
 */
function refresh(gauge: Gauge<(typeof LABEL_NAMES)[number]>, reports: ReadonlySet<DeploymentHealthReport>): void {
  const states = new Map<string, { modelName: string; deploymentId: string; value: number }>();
  for (const report of reports) {
    for (const { deploymentId, modelName, coolingDown } of report()) {
      const key = `${modelName}\u0000${deploymentId}`;
      const value = coolingDown ? 1 : 0;
      const known = states.get(key);
      if (!known || value > known.value) states.set(key, { modelName, deploymentId, value });
    }
  }
  gauge.reset();
  for (const { modelName, deploymentId, value } of states.values()) gauge.set({ model_name: modelName, deployment: deploymentId }, value);
}
