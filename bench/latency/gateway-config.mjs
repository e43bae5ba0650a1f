// @ts-check
/**
 * The gateway's config.yaml for the latency benchmarks: every deployment calls the mock (`aws_bedrock_runtime_endpoint`)
 * with static credentials, so each request is authenticated by a real key, routed, and re-signed with SigV4 as in
 * production. The CLI and the Express host app load the same file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONVERSE_MODEL_ID, GATEWAY_KEY, HELD_OPEN_MODEL_ID, REGION, UPSTREAM_CREDENTIALS } from './workload.mjs';

/** The model groups clients name, and the size of the large group. */
export const GROUPS = { single: 'claude', heldOpen: 'claude-held-open', fifty: 'claude-50' };
export const LARGE_GROUP_SIZE = 50;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-central-1', 'eu-west-1', 'ap-northeast-1'];

/**
 * @param {string} modelName @param {string} modelId @param {string} region @param {string} id @param {string} endpoint
 */
function deployment(modelName, modelId, region, id, endpoint) {
  return {
    model_name: modelName,
    litellm_params: {
      model: `bedrock/${modelId}`,
      aws_region_name: region,
      aws_bedrock_runtime_endpoint: endpoint,
      aws_access_key_id: UPSTREAM_CREDENTIALS.accessKeyId,
      aws_secret_access_key: UPSTREAM_CREDENTIALS.secretAccessKey,
    },
    model_info: { id },
  };
}

/**
 * The config: one deployment of `claude` (the scenarios), one of `claude-held-open` (the 1,000 open streams), and a
 * `claude-50` group of 50 deployments in five regions (the balancer end to end), with the default strategy.
 * @param {string} mockOrigin
 */
export function gatewayConfig(mockOrigin) {
  return {
    model_list: [
      deployment(GROUPS.single, CONVERSE_MODEL_ID, REGION, 'claude-1', mockOrigin),
      deployment(GROUPS.heldOpen, HELD_OPEN_MODEL_ID, REGION, 'held-open-1', mockOrigin),
      ...Array.from({ length: LARGE_GROUP_SIZE }, (_, index) =>
        deployment(GROUPS.fifty, CONVERSE_MODEL_ID, /** @type {string} */ (REGIONS[index % REGIONS.length]), `claude-50-${index}`, mockOrigin),
      ),
    ],
    general_settings: { master_key: 'sk-bench-master-0000000000000000' },
    keys: [{ name: 'bench team', key: GATEWAY_KEY }],
  };
}

/**
 * Writes the config to a fresh temporary directory as config.yaml (in JSON, which is YAML), and returns its path and a
 * function that removes the directory.
 * @param {string} mockOrigin
 */
export function writeGatewayConfig(mockOrigin) {
  const directory = mkdtempSync(join(tmpdir(), 'bedrock-passthrough-bench-'));
  const path = join(directory, 'config.yaml');
  writeFileSync(path, `${JSON.stringify(gatewayConfig(mockOrigin), null, 2)}\n`);
  return { path, remove: () => rmSync(directory, { recursive: true, force: true }) };
}
