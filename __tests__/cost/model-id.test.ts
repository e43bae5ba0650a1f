import { modelIdOf, withoutProfilePrefix } from '../../lib/cost/model-id';

describe('modelIdOf', () => {
  it('returns plain model ids and inference profile ids as they are', () => {
    expect(modelIdOf('anthropic.claude-3-5-sonnet-20240620-v1:0')).toBe('anthropic.claude-3-5-sonnet-20240620-v1:0');
    expect(modelIdOf('us.anthropic.claude-3-5-sonnet-20240620-v1:0')).toBe('us.anthropic.claude-3-5-sonnet-20240620-v1:0');
    expect(modelIdOf('global.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('global.anthropic.claude-sonnet-4-5-20250929-v1:0');
  });

  it('reads the model of foundation-model and inference-profile ARNs, in any partition', () => {
    expect(modelIdOf('arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0')).toBe('amazon.nova-lite-v1:0');
    expect(modelIdOf('arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0')).toBe(
      'us.anthropic.claude-3-5-sonnet-20240620-v1:0',
    );
    expect(modelIdOf('arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe(
      'us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0',
    );
  });

  it.each([
    'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6',
    'arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456',
    'arn:aws:bedrock:us-east-1:123456789012:custom-model/anthropic.claude-3-haiku-20240307-v1:0/abc123',
    'arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1',
    'arn:aws:s3:::bucket/amazon.nova-lite-v1:0',
    'arn:not-an-arn',
  ])('finds no model in %s', (arn) => {
    expect(modelIdOf(arn)).toBeUndefined();
  });
});

describe('withoutProfilePrefix', () => {
  it.each([
    ['us.anthropic.claude-3-5-sonnet-20240620-v1:0', 'anthropic.claude-3-5-sonnet-20240620-v1:0'],
    ['eu.amazon.nova-pro-v1:0', 'amazon.nova-pro-v1:0'],
    ['apac.amazon.nova-micro-v1:0', 'amazon.nova-micro-v1:0'],
    ['jp.anthropic.claude-sonnet-4-5-20250929-v1:0', 'anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['au.anthropic.claude-sonnet-4-5-20250929-v1:0', 'anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['ca.anthropic.claude-sonnet-4-5-20250929-v1:0', 'anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0', 'anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['global.anthropic.claude-haiku-4-5-20251001-v1:0', 'anthropic.claude-haiku-4-5-20251001-v1:0'],
  ])('strips the profile prefix of %s', (profile, model) => {
    expect(withoutProfilePrefix(profile)).toBe(model);
  });

  it('leaves model ids alone, even those whose provider looks like a prefix', () => {
    for (const id of ['amazon.nova-lite-v1:0', 'openai.gpt-oss-120b-1:0', 'deepseek.r1-v1:0', 'meta.llama3-1-8b-instruct-v1:0']) {
      expect(withoutProfilePrefix(id)).toBe(id);
    }
  });
});
