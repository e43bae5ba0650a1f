/** Usage extraction and pricing, put together for the router. */
import { createCostCalculator } from '../cost';
import type { DeploymentTarget } from '../models';
import type { Accounting } from '../routing/router';
import type { Logger } from '../types';
import { createUsageExtractor } from '../usage/extractor';

/** An ARN of a resource that names no model of its own: its price is that of the model the config says it serves. */
const ARN_WITHOUT_MODEL = /:(application-inference-profile|provisioned-model)\//;

export function createAccounting(logger: Logger): Accounting {
  const calculator = createCostCalculator({ logger });
  return {
    // The model written in the config names the family even when the model id sent upstream is an ARN.
    extractor: (operation, deployment) => createUsageExtractor(operation, deployment.bedrockModelId),
    costOf: (deployment, usage) =>
      calculator.cost({ modelId: pricedModelId(deployment), region: deployment.region, modelInfo: deployment.modelInfo }, usage),
  };
}

function pricedModelId(deployment: DeploymentTarget): string {
  return ARN_WITHOUT_MODEL.test(deployment.modelId) ? deployment.bedrockModelId : deployment.modelId;
}
