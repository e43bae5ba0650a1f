/** Model ids to families: base ids, cross-region and global inference profiles, ARNs. */
import { familyOfModelId } from '../../lib/usage/model-family';

const cases: ReadonlyArray<readonly [modelId: string, family: string | undefined]> = [
  ['anthropic.claude-3-haiku-20240307-v1:0', 'anthropic'],
  ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'anthropic'],
  ['eu.anthropic.claude-sonnet-4-6', 'anthropic'],
  ['apac.anthropic.claude-3-5-sonnet-20241022-v2:0', 'anthropic'],
  ['global.anthropic.claude-opus-4-5-20251101-v1:0', 'anthropic'],
  ['us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0', 'anthropic'],
  ['amazon.nova-pro-v1:0', 'amazon-nova'],
  ['us.amazon.nova-premier-v1:0', 'amazon-nova'],
  ['amazon.titan-text-express-v1', 'amazon-titan'],
  ['amazon.titan-embed-text-v2:0', 'amazon-titan'],
  ['amazon.rerank-v1:0', undefined],
  ['meta.llama3-1-405b-instruct-v1:0', 'meta-llama'],
  ['us.meta.llama4-maverick-17b-instruct-v1:0', 'meta-llama'],
  ['cohere.command-r-plus-v1:0', 'cohere'],
  ['cohere.embed-multilingual-v3', 'cohere'],
  ['mistral.pixtral-large-2502-v1:0', 'openai-chat'],
  ['ai21.jamba-1-5-large-v1:0', 'openai-chat'],
  ['us.deepseek.r1-v1:0', 'openai-chat'],
  ['openai.gpt-oss-120b-1:0', 'openai-chat'],
  ['qwen.qwen3-32b-v1:0', 'openai-chat'],
  ['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0', 'anthropic'],
  ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-11b-instruct-v1:0', 'meta-llama'],
  ['arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.amazon.nova-lite-v1:0', 'amazon-nova'],
  ['arn:aws:bedrock:us-west-2:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/a1b2c3d4e5f6', 'amazon-titan'],
  ['arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/x1y2z3a4b5c6', undefined],
  ['arn:aws:bedrock:us-east-1:123456789012:provisioned-model/a1b2c3d4e5f6', undefined],
  ['arn:aws:bedrock:us-east-1:123456789012:imported-model/a1b2c3d4e5f6', undefined],
  ['stability.sd3-5-large-v1:0', undefined],
  ['constructor.toString', undefined],
  ['', undefined],
];

test.each(cases)('%s → %s', (modelId, family) => {
  expect(familyOfModelId(modelId)?.name).toBe(family);
});
