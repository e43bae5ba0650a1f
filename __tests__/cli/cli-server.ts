/** The CLI started on a free port in front of an emulator, with a config file written for it. */
import { EMULATOR_CREDENTIALS, type BedrockEmulator } from '../../lib/testing';
import { CLI, startNode, type RunningProcess } from './processes';

/** The gateway key the configs below accept. */
export const MASTER_KEY = 'sk-cli-test-master-5678';

/**
 * A LiteLLM-style config with two model groups on `upstream` (`claude`, whose deployment id is `claude-east`, and
 * `nova`), a LiteLLM-only setting that must be warned about, and secrets that must never be shown.
 */
export function configYaml(upstream: BedrockEmulator): string {
  const location = `
      aws_region_name: ${upstream.region}
      aws_bedrock_runtime_endpoint: ${upstream.url}
      aws_access_key_id: ${EMULATOR_CREDENTIALS.accessKeyId}
      aws_secret_access_key: ${EMULATOR_CREDENTIALS.secretAccessKey}`;
  return `model_list:
  - model_name: claude
    litellm_params:
      model: bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0${location}
    model_info:
      id: claude-east
  - model_name: nova
    litellm_params:
      model: bedrock/amazon.nova-lite-v1:0${location}
general_settings:
  master_key: ${MASTER_KEY}
  database_url: postgres://litellm:litellm-db-password@localhost/litellm
`;
}

/** Starts `node dist/cli.js --config <configFile>` on 127.0.0.1 and a free port; resolves once it listens. */
export async function startCli(
  configFile: string,
  extraArgs: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ cli: RunningProcess; url: string }> {
  const cli = startNode([CLI, '--config', configFile, '--host', '127.0.0.1', '--port', '0', ...extraArgs], env);
  const [, url] = await cli.waitFor(/^bedrock-passthrough listening on (https?:\/\/\S+)$/m);
  return { cli, url: url as string };
}
