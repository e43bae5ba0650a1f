import type { GatewayConfig } from '../lib/config/types';
import { GatewayError } from '../lib/errors';
import { ModelCatalog, bedrockModelIdOf } from '../lib/models';

const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const ARN = 'arn:aws:bedrock:eu-west-3:123456789012:application-inference-profile/abc123';

const config: GatewayConfig = {
  model_list: [
    { model_name: 'claude', litellm_params: { model: `bedrock/converse/${CLAUDE}`, aws_region_name: 'us-east-1' }, model_info: { id: 'claude-east' } },
    { model_name: 'claude', litellm_params: { model: `bedrock/${CLAUDE}`, aws_region_name: 'us-west-2', weight: 2 } },
    { model_name: 'profiled', litellm_params: { model: `bedrock/invoke/${CLAUDE}`, model_id: ARN } },
    { model_name: 'private', litellm_params: { model: 'bedrock/amazon.nova-lite-v1:0', aws_region_name: 'us-east-1', aws_bedrock_runtime_endpoint: 'https://vpce-1.example.com/prefix/' } },
  ],
};

describe('the model catalog', () => {
  const catalog = new ModelCatalog(config, { env: {} });

  it('strips LiteLLM’s provider prefixes', () => {
    expect(bedrockModelIdOf(`bedrock/converse/${CLAUDE}`)).toBe(CLAUDE);
    expect(bedrockModelIdOf(`bedrock/invoke/${CLAUDE}`)).toBe(CLAUDE);
    expect(bedrockModelIdOf(`bedrock/${CLAUDE}`)).toBe(CLAUDE);
  });

  it('resolves a model name to its whole group, in config order', () => {
    const group = catalog.resolve('claude');
    expect(group.deployments.map((deployment) => [deployment.id, deployment.region, deployment.weight])).toEqual([
      ['claude-east', 'us-east-1', 1],
      [expect.stringMatching(/^d-[0-9a-f]{12}$/), 'us-west-2', 2],
    ]);
  });

  it('resolves a deployment id to that deployment alone', () => {
    expect(catalog.resolve('claude-east').deployments.map((deployment) => deployment.region)).toEqual(['us-east-1']);
  });

  it('resolves the underlying Bedrock model id to the first group serving it', () => {
    expect(catalog.resolve(CLAUDE).modelName).toBe('claude');
  });

  it('sends a model_id ARN upstream, in the ARN’s region', () => {
    const [deployment] = catalog.resolve('profiled').deployments;
    expect(deployment).toMatchObject({ modelId: ARN, region: 'eu-west-3', origin: 'https://bedrock-runtime.eu-west-3.amazonaws.com' });
    expect(catalog.resolve(ARN).modelName).toBe('profiled');
  });

  it('keeps a configured endpoint’s path prefix', () => {
    const [deployment] = catalog.resolve('private').deployments;
    expect(deployment).toMatchObject({ origin: 'https://vpce-1.example.com', host: 'vpce-1.example.com', basePath: '/prefix' });
  });

  it('shows an endpoint without the user info or query a URL may carry', () => {
    const withCredentials = new ModelCatalog(
      {
        model_list: [
          {
            model_name: 'm',
            litellm_params: { model: 'bedrock/m.x-v1', aws_region_name: 'us-east-1', aws_bedrock_runtime_endpoint: 'https://user:secret@vpce-2.example.com/base/?token=t0ken' },
          },
        ],
      },
      { env: {} },
    );
    expect(withCredentials.resolve('m').deployments[0]?.endpoint).toBe('https://vpce-2.example.com/base');
  });

  it('refuses anything else as Bedrock refuses an invalid model id', () => {
    expect(() => catalog.resolve('meta.llama3-8b-instruct-v1:0')).toThrow(GatewayError);
    expect(() => catalog.resolve('meta.llama3-8b-instruct-v1:0')).toThrow(/^The provided model identifier is invalid/);
  });

  it('serves raw model ids with bedrock_settings only when allowed, and never odd ones', () => {
    const raw = new ModelCatalog({ ...config, bedrock_settings: { allow_raw_model_ids: true, aws_region_name: 'ap-south-1' } }, { env: {} });
    expect(raw.resolve('meta.llama3-8b-instruct-v1:0').deployments[0]).toMatchObject({
      modelId: 'meta.llama3-8b-instruct-v1:0',
      region: 'ap-south-1',
    });
    for (const odd of ['../../admin', 'a/../b', ' space', 'x?y=1', 'x'.repeat(3000)]) expect(() => raw.resolve(odd)).toThrow(GatewayError);
  });
});
