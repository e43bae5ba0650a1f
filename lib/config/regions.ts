/** Where a deployment's region comes from: the first of its own setting, its ARN, `bedrock_settings`, the environment. */
import type { BedrockSettings, LitellmParams } from './types';

const ARN_REGION = /^arn:aws(?:-[a-z-]+)?:bedrock:([a-z0-9-]+):/;

/** The region of a Bedrock ARN (`arn:aws:bedrock:eu-west-1:...`), if it is one. */
export function arnRegion(value: string | undefined): string | undefined {
  return value ? ARN_REGION.exec(value)?.[1] : undefined;
}

/** The region to call a deployment in, or undefined when nothing names one. */
export function deploymentRegion(
  params: Pick<LitellmParams, 'aws_region_name' | 'model_id' | 'model'>,
  defaults: BedrockSettings | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  return (
    params.aws_region_name ||
    arnRegion(params.model_id) ||
    arnRegion(params.model.replace(/^bedrock\/(?:converse\/|invoke\/)?/, '')) ||
    defaults?.aws_region_name ||
    env['AWS_REGION'] ||
    env['AWS_DEFAULT_REGION'] ||
    // LiteLLM's own name for it.
    env['AWS_REGION_NAME'] ||
    undefined
  );
}
