import { ConfigError, loadConfig, resolveConfig } from '../../lib/config/load';
import { OPERATIONS } from '../../lib/operations';
import { minimalConfig, problemsOf } from './helpers';

const HAIKU = 'bedrock/anthropic.claude-3-haiku-20240307-v1:0';

/** A deployment of Claude 3 Haiku in `region` (none if null), with more `litellm_params`. */
function deployment(name: string, params: Record<string, unknown> = {}, region: string | null = 'us-east-1') {
  return { model_name: name, litellm_params: { model: HAIKU, ...(region ? { aws_region_name: region } : {}), ...params } };
}

/** {@link minimalConfig} with some sections replaced. */
function configWith(sections: Record<string, unknown>): Record<string, unknown> {
  return { ...minimalConfig(), ...sections };
}

describe('resolveConfig: environment variables', () => {
  it('names the unset variable and the path, never leaving undefined', () => {
    const config = configWith({
      model_list: [
        deployment('a'),
        deployment('b', { aws_access_key_id: 'AKID', aws_secret_access_key: 'os.environ/AWS_SECRET_2' }),
      ],
    });
    expect(problemsOf(() => resolveConfig(config, { env: {} }))).toEqual([
      'model_list[1].litellm_params.aws_secret_access_key: environment variable AWS_SECRET_2 is not set (os.environ/AWS_SECRET_2)',
    ]);
  });

  it('resolves values inside lists too', () => {
    const config = configWith({ keys: [{ key: 'os.environ/TEAM_KEY', name: 'team', models: ['os.environ/TEAM_MODEL'] }] });
    const resolved = resolveConfig(config, { env: { TEAM_KEY: 'sk-team', TEAM_MODEL: 'claude' } });
    expect(resolved.keys).toEqual([{ key: 'sk-team', name: 'team', models: ['claude'] }]);
    expect(problemsOf(() => resolveConfig(config, { env: { TEAM_KEY: 'sk-team' } }))).toEqual([
      'keys[0].models[0]: environment variable TEAM_MODEL is not set (os.environ/TEAM_MODEL)',
    ]);
  });

  it('treats only a whole value as a reference, and refuses one without a name', () => {
    const config = configWith({
      general_settings: { master_key: 'prefix os.environ/NOT_A_REFERENCE' },
      bedrock_settings: { aws_region_name: 'os.environ/' },
    });
    expect(problemsOf(() => resolveConfig(config, { env: {} }))).toEqual([
      'bedrock_settings.aws_region_name: os.environ/ names no environment variable',
    ]);
  });

  it('accepts a variable set to the empty string as set, and refuses the empty value where one is required', () => {
    const config = configWith({ model_list: [deployment('a', { aws_session_token: 'os.environ/EMPTY', aws_access_key_id: 'A', aws_secret_access_key: 'S' })] });
    expect(problemsOf(() => resolveConfig(config, { env: { EMPTY: '' } }))).toEqual([
      'model_list[0].litellm_params.aws_session_token: must not be empty (os.environ/EMPTY)',
    ]);
  });

  it('does not read the variables of deployments of other providers, nor of ignored keys', () => {
    const config = configWith({
      model_list: [deployment('a'), { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_key: 'os.environ/OPENAI_API_KEY' } }],
      general_settings: { master_key: 'sk-m', database_url: 'os.environ/DATABASE_URL' },
      environment_variables: { LANGFUSE_SECRET_KEY: 'os.environ/LANGFUSE' },
    });
    expect(() => resolveConfig(config, { env: {} })).not.toThrow();
  });

  it('reads the model of a deployment through os.environ/ to tell its provider', () => {
    const config = configWith({
      model_list: [deployment('a'), { model_name: 'b', litellm_params: { model: 'os.environ/B_MODEL' } }],
    });
    const warnings: string[] = [];
    const resolved = resolveConfig(config, { env: { B_MODEL: 'openai/gpt-4o' }, warn: (message) => warnings.push(message) });
    expect(resolved.model_list.map((d) => d.model_name)).toEqual(['a']);
    expect(warnings).toEqual([
      'model_list[1].litellm_params.model: "openai/gpt-4o" is not a Bedrock model (bedrock/<model id>): deployment not used by bedrock-passthrough, ignored',
    ]);
  });
});

describe('resolveConfig: the schema', () => {
  it('reports missing required fields at their path', () => {
    expect(problemsOf(() => resolveConfig({ general_settings: { master_key: 'sk' } }))).toEqual(['model_list: required']);
    const config = configWith({ model_list: [deployment('a'), { litellm_params: { model: HAIKU, aws_region_name: 'us-east-1' } }, { model_name: 'c' }] });
    expect(problemsOf(() => resolveConfig(config))).toEqual(['model_list[1].model_name: required', 'model_list[2].litellm_params: required']);
    expect(problemsOf(() => resolveConfig(configWith({ keys: [{ name: 'k' }] })))).toEqual(['keys[0].key: required (or key_sha256, or access_key_id and secret_access_key)']);
  });

  it('reports a wrong type in words a YAML author reads', () => {
    const config = configWith({
      model_list: [deployment('a', { rpm: 'many', weight: [1] })],
      router_settings: { fallbacks: 'claude' },
      bedrock_settings: { allow_raw_model_ids: 'sometimes', forward_headers: 'x-trace-id' },
    });
    expect(problemsOf(() => resolveConfig(config))).toEqual([
      'bedrock_settings.allow_raw_model_ids: must be true or false',
      'bedrock_settings.forward_headers: must be a list',
      'model_list[0].litellm_params.rpm: must be a whole number',
      'model_list[0].litellm_params.weight: must be a number',
      'router_settings.fallbacks: must be a list',
    ]);
  });

  it('refuses an operation a key names that the gateway does not serve, listing those it does', () => {
    const config = configWith({ keys: [{ key: 'sk-k', name: 'k', operations: ['converse', 'chat', 'invoke'] }] });
    expect(problemsOf(() => resolveConfig(config))).toEqual([
      `keys[0].operations[1]: must be one of ${OPERATIONS.join(', ')}`,
    ]);
    expect(OPERATIONS).toEqual(expect.arrayContaining(['converse', 'count-tokens', 'apply-guardrail', 'retrieve', 'invoke-agent', 'rerank']));
  });

  it('refuses an unknown routing strategy', () => {
    expect(problemsOf(() => resolveConfig(configWith({ router_settings: { routing_strategy: 'fastest' } })))).toEqual([
      'router_settings.routing_strategy: must be one of simple-shuffle, least-busy, latency-based-routing, usage-based-routing, round-robin, usage-based-routing-v2, cost-based-routing',
    ]);
  });

  it('refuses unknown keys in our own sections, where a typo could weaken security', () => {
    const config = configWith({
      keys: [{ key: 'sk-k', name: 'k', modles: ['claude'] }],
      bedrock_settings: { aws_region: 'us-east-1' },
    });
    expect(problemsOf(() => resolveConfig(config))).toEqual([
      'bedrock_settings.aws_region: unknown key (known: aws_region_name, aws_access_key_id, aws_secret_access_key, aws_session_token, aws_bedrock_runtime_endpoint, aws_bedrock_agent_runtime_endpoint, allow_raw_model_ids, forward_headers)',
      'keys[0].modles: unknown key (known: key, key_sha256, access_key_id, secret_access_key, name, models, operations, guardrails, knowledge_bases, agents, rpm, tpm, max_parallel_requests, max_budget, budget_duration, expires, disabled, metadata)',
    ]);
  });

  it('accepts unknown keys in LiteLLM’s sections with one warning each, and drops them', () => {
    const config = configWith({
      model_list: [{ ...deployment('a', { drop_params: true }), model_info: { id: 'a', mode: 'chat' }, tags: ['x'] }],
      router_settings: { enable_pre_call_checks: true, routing_strategy: 'least-busy' },
      general_settings: { master_key: 'sk-m', store_model_in_db: true },
      litellm_settings: { drop_params: true, callbacks: ['langfuse'] },
      environment_variables: { LANGFUSE_HOST: 'https://langfuse.example' },
      mcp_servers: {},
    });
    const warnings: string[] = [];
    const resolved = resolveConfig(config, { warn: (message) => warnings.push(message) });
    expect(warnings).toEqual([
      'environment_variables.LANGFUSE_HOST: not used by bedrock-passthrough, ignored',
      'general_settings.store_model_in_db: not used by bedrock-passthrough, ignored',
      'litellm_settings.callbacks: not used by bedrock-passthrough, ignored',
      'litellm_settings.drop_params: not used by bedrock-passthrough, ignored',
      'mcp_servers: not used by bedrock-passthrough, ignored',
      'model_list[0].litellm_params.drop_params: not used by bedrock-passthrough, ignored',
      'model_list[0].model_info.mode: not used by bedrock-passthrough, ignored',
      'model_list[0].tags: not used by bedrock-passthrough, ignored',
      'router_settings.enable_pre_call_checks: not used by bedrock-passthrough, ignored',
    ]);
    expect(resolved.model_list[0]).toEqual({ ...deployment('a'), model_info: { id: 'a' } });
    expect(resolved.router_settings).toEqual({ routing_strategy: 'least-busy' });
    expect(resolved).not.toHaveProperty('mcp_servers');
  });

  it('refuses a maximum request size that is not positive', () => {
    expect(problemsOf(() => resolveConfig(configWith({ general_settings: { master_key: 'sk', max_request_size_mb: 0 } })))).toEqual([
      'general_settings.max_request_size_mb: must be > 0',
    ]);
  });

  it('refuses a configuration that is not a mapping', () => {
    for (const raw of [undefined, null, 'model_list', [minimalConfig()]]) {
      expect(problemsOf(() => resolveConfig(raw))).toEqual([
        '(top level): must be a mapping of sections (model_list, general_settings, ...)',
      ]);
    }
  });
});

describe('resolveConfig: deployments', () => {
  it('accepts the three forms of a Bedrock model, and ARNs', () => {
    const models = [
      'bedrock/amazon.nova-pro-v1:0',
      'bedrock/converse/us.anthropic.claude-3-7-sonnet-20250219-v1:0',
      'bedrock/invoke/anthropic.claude-3-haiku-20240307-v1:0',
      'bedrock/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123',
      'bedrock/converse/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0',
    ];
    const config = configWith({ model_list: models.map((model, i) => deployment(`m${i}`, { model })) });
    expect(resolveConfig(config).model_list.map((d) => d.litellm_params.model)).toEqual(models);
  });

  it('refuses other bedrock/ routes and an empty model id', () => {
    const models = ['bedrock/llama/meta.llama3-70b-instruct-v1:0', 'bedrock/', 'bedrock/converse/'];
    const config = configWith({ model_list: models.map((model, i) => deployment(`m${i}`, { model })) });
    expect(problemsOf(() => resolveConfig(config))).toEqual(
      models.map(
        (model, i) =>
          `model_list[${i}].litellm_params.model: must be bedrock/<model id>, bedrock/converse/<model id> or bedrock/invoke/<model id> (got ${JSON.stringify(model)})`,
      ),
    );
  });

  it('drops deployments of other providers with a warning, and keeps the file’s indexes in problems', () => {
    const config = configWith({
      model_list: [
        { model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o' } },
        { model_name: 'claude', litellm_params: { model: HAIKU } },
      ],
    });
    const warnings: string[] = [];
    const problems = problemsOf(() => resolveConfig(config, { env: {}, warn: (message) => warnings.push(message) }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^model_list\[1\]\.litellm_params\.aws_region_name: required \(/);
    expect(warnings).toEqual([
      'model_list[0].litellm_params.model: "openai/gpt-4o" is not a Bedrock model (bedrock/<model id>): deployment not used by bedrock-passthrough, ignored',
    ]);
  });

  it('refuses a configuration left without any Bedrock deployment', () => {
    const expected = [
      'model_list: no Bedrock deployment (one with litellm_params.model: bedrock/<model id>); deployments of other providers are ignored',
    ];
    const onlyOpenAi = configWith({ model_list: [{ model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o' } }] });
    expect(problemsOf(() => resolveConfig(onlyOpenAi))).toEqual(expected);
    expect(problemsOf(() => resolveConfig(configWith({ model_list: [] })))).toEqual(expected);
  });

  it('requires a region, explaining where else it may come from', () => {
    const config = configWith({ model_list: [deployment('a'), deployment('b', {}, null)] });
    expect(problemsOf(() => resolveConfig(config, { env: {} }))).toEqual([
      'model_list[1].litellm_params.aws_region_name: required (no region found: set it here, or use a model_id ARN that names its region, ' +
        'or set bedrock_settings.aws_region_name, or the AWS_REGION, AWS_DEFAULT_REGION or AWS_REGION_NAME environment variable)',
    ]);
  });

  it('finds the region in a model_id ARN, then bedrock_settings, then AWS_REGION, then AWS_DEFAULT_REGION', () => {
    const arn = 'arn:aws:bedrock:eu-west-3:123456789012:provisioned-model/abc';
    const noRegion = configWith({ model_list: [deployment('a', {}, null)] });
    expect(() => resolveConfig(configWith({ model_list: [deployment('a', { model_id: arn }, null)] }), { env: {} })).not.toThrow();
    expect(() => resolveConfig({ ...noRegion, bedrock_settings: { aws_region_name: 'eu-west-1' } }, { env: {} })).not.toThrow();
    expect(() => resolveConfig(noRegion, { env: { AWS_REGION: 'eu-west-1' } })).not.toThrow();
    expect(() => resolveConfig(noRegion, { env: { AWS_DEFAULT_REGION: 'eu-west-1' } })).not.toThrow();
    expect(() => resolveConfig(noRegion, { env: { AWS_REGION_NAME: 'eu-west-1' } })).not.toThrow();
  });

  it('requires AWS keys in pairs, in deployments and in bedrock_settings', () => {
    const config = configWith({
      model_list: [
        deployment('a', { aws_access_key_id: 'AKID' }),
        deployment('b', { aws_secret_access_key: 'secret' }),
        deployment('c', { aws_session_token: 'token' }),
      ],
      bedrock_settings: { aws_access_key_id: 'AKID' },
    });
    expect(problemsOf(() => resolveConfig(config))).toEqual([
      'bedrock_settings.aws_secret_access_key: required when aws_access_key_id is set',
      'model_list[0].litellm_params.aws_secret_access_key: required when aws_access_key_id is set',
      'model_list[1].litellm_params.aws_access_key_id: required when aws_secret_access_key is set',
      'model_list[2].litellm_params.aws_access_key_id: required when aws_session_token is set',
      'model_list[2].litellm_params.aws_secret_access_key: required when aws_session_token is set',
    ]);
  });

  it('refuses a Bedrock API key together with AWS keys', () => {
    const config = configWith({
      model_list: [deployment('a', { api_key: 'bedrock-api-key', aws_access_key_id: 'AKID', aws_secret_access_key: 'secret' })],
    });
    expect(problemsOf(() => resolveConfig(config))).toEqual([
      'model_list[0].litellm_params.api_key: cannot be combined with aws_access_key_id / aws_secret_access_key / aws_session_token: ' +
        'a deployment uses a Bedrock API key or AWS credentials',
    ]);
  });

  it('requires unique deployment ids, naming the first user by its place in the file', () => {
    const config = configWith({
      model_list: [
        { ...deployment('a'), model_info: { id: 'claude-1' } },
        { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o' } },
        { ...deployment('b'), model_info: { id: 'claude-1' } },
      ],
    });
    expect(problemsOf(() => resolveConfig(config))).toEqual([
      'model_list[2].model_info.id: "claude-1" is already the id of model_list[0]: ids must be unique',
    ]);
  });

  it('requires endpoints to be http(s) URLs', () => {
    const config = configWith({
      model_list: [
        deployment('a', { aws_bedrock_runtime_endpoint: 'http://localhost:4566' }),
        deployment('b', { aws_bedrock_runtime_endpoint: 'bedrock-runtime.us-east-1.amazonaws.com' }),
      ],
      bedrock_settings: { aws_bedrock_runtime_endpoint: 'ftp://vpce.example', aws_bedrock_agent_runtime_endpoint: 'agents.internal' },
    });
    expect(problemsOf(() => resolveConfig(config))).toEqual([
      'bedrock_settings.aws_bedrock_agent_runtime_endpoint: must be an http:// or https:// URL',
      'bedrock_settings.aws_bedrock_runtime_endpoint: must be an http:// or https:// URL',
      'model_list[1].litellm_params.aws_bedrock_runtime_endpoint: must be an http:// or https:// URL',
    ]);
  });
});

describe('resolveConfig: keys', () => {
  it('requires unique names, unique secrets, and secrets other than the master key', () => {
    const config = configWith({
      general_settings: { master_key: 'sk-master' },
      keys: [
        { key: 'sk-a', name: 'team' },
        { key: 'sk-b', name: 'team' },
        { key: 'sk-a', name: 'other' },
        { key: 'sk-master', name: 'admin' },
      ],
    });
    expect(problemsOf(() => resolveConfig(config))).toEqual([
      'keys[1].name: "team" is already the name of keys[0]',
      'keys[2].key: same secret as keys[0].key: keys must be unique',
      'keys[3].key: same secret as general_settings.master_key: keys must be unique',
    ]);
  });

  it('takes SigV4 credentials instead of or besides a key, in pairs, with unique ids fit for a credential scope', () => {
    const accepted = configWith({
      keys: [
        { name: 'signs', access_key_id: 'GWKEY0001', secret_access_key: 'secret-1' },
        { name: 'both', key: 'sk-both', access_key_id: 'GWKEY0002', secret_access_key: 'secret-2' },
      ],
    });
    expect(resolveConfig(accepted).keys?.map((key) => key.name)).toEqual(['signs', 'both']);
    const refused = configWith({
      keys: [
        { name: 'half', access_key_id: 'GWKEY0003' },
        { name: 'other-half', key: 'sk-x', secret_access_key: 'secret' },
        { name: 'a', access_key_id: 'GWKEY0001', secret_access_key: 's' },
        { name: 'b', access_key_id: 'GWKEY0001', secret_access_key: 't' },
        { name: 'slash', access_key_id: 'GW/KEY', secret_access_key: 'u' },
      ],
    });
    expect(problemsOf(() => resolveConfig(refused))).toEqual([
      'keys[0].secret_access_key: required when access_key_id is set',
      'keys[1].access_key_id: required when secret_access_key is set',
      'keys[3].access_key_id: "GWKEY0001" is already the access_key_id of keys[2]',
      'keys[4].access_key_id: must match ^[A-Za-z0-9._-]{1,128}$',
    ]);
  });

  it('names guardrails, knowledge bases and agents uniquely, each with an id', () => {
    const config = configWith({
      guardrails: [{ name: 'pii', id: 'gr1', version: 3 }, { name: 'pii', id: 'gr2' }],
      knowledge_bases: [{ name: 'handbook' }],
      agents: [{ name: 'support', id: 'A1', alias_id: 'TSTALIASID', region: 'us-east-1' }],
    });
    expect(problemsOf(() => resolveConfig(config))).toEqual([
      'agents[0].region: unknown key (known: name, id, alias_id)',
      'guardrails[1].name: "pii" is already the name of guardrails[0]',
      'knowledge_bases[0].id: required',
    ]);
    // A version written as a number in YAML is the version's name.
    expect(resolveConfig(configWith({ guardrails: [{ name: 'pii', id: 'gr1', version: 3 }] })).guardrails).toEqual([{ name: 'pii', id: 'gr1', version: '3' }]);
  });

  it('requires the models a key names to be model groups', () => {
    const config = configWith({ keys: [{ key: 'sk-a', name: 'a', models: ['claude', 'gpt-4o'] }] });
    expect(problemsOf(() => resolveConfig(config))).toEqual(['keys[0].models[1]: no model_name "gpt-4o" in model_list']);
  });
});

describe('resolveConfig: authentication', () => {
  const open = { model_list: minimalConfig()['model_list'] };

  it('refuses a gateway without any client key, explaining the three ways out', () => {
    const problems = problemsOf(() => resolveConfig(open));
    expect(problems).toEqual([
      'general_settings.master_key: required: no client key is configured, so anyone could call Bedrock through the gateway. ' +
        'Set general_settings.master_key, or add a keys list, or set general_settings.allow_unauthenticated: true to serve without keys on purpose',
    ]);
    expect(problemsOf(() => resolveConfig({ ...open, keys: [] }))).toEqual(problems);
    expect(problemsOf(() => resolveConfig({ ...open, general_settings: { allow_unauthenticated: false } }))).toEqual(problems);
  });

  it('accepts a master key, a keys list, an explicit opt-out, or a host that authenticates itself', () => {
    expect(() => resolveConfig({ ...open, general_settings: { master_key: 'sk-m' } })).not.toThrow();
    expect(() => resolveConfig({ ...open, keys: [{ key: 'sk-a', name: 'a' }] })).not.toThrow();
    expect(() => resolveConfig({ ...open, general_settings: { allow_unauthenticated: true } })).not.toThrow();
    expect(() => resolveConfig(open, { externalAuth: true })).not.toThrow();
  });
});

describe('ConfigError', () => {
  it('reports every problem at once, one per line, grouped by place in the file', () => {
    const text = [
      'model_list:',
      '  - model_name: claude',
      '    litellm_params:',
      '      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0',
      '      aws_access_key_id: os.environ/AWS_KEY_2',
      '  - model_name: nova',
      '    litellm_params:',
      '      model: bedrock/amazon.nova-pro-v1:0',
      '      aws_region_name: us-east-1',
      '      rpm: lots',
      'keys:',
      '  - key: sk-a',
      '    name: a',
      '    operations: [converse, chat]',
    ].join('\n');
    let error: unknown;
    try {
      loadConfig(text, { env: {} });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(Error);
    const configError = error as ConfigError;
    expect(configError.name).toBe('ConfigError');
    expect(configError.problems).toEqual([
      `keys[0].operations[1]: must be one of ${OPERATIONS.join(', ')}`,
      'model_list[0].litellm_params.aws_access_key_id: environment variable AWS_KEY_2 is not set (os.environ/AWS_KEY_2)',
      'model_list[0].litellm_params.aws_region_name: required (no region found: set it here, or use a model_id ARN that names its region, ' +
        'or set bedrock_settings.aws_region_name, or the AWS_REGION, AWS_DEFAULT_REGION or AWS_REGION_NAME environment variable)',
      'model_list[0].litellm_params.aws_secret_access_key: required when aws_access_key_id is set',
      'model_list[1].litellm_params.rpm: must be a whole number',
    ]);
    expect(configError.message).toBe(['Invalid configuration (5 problems):', ...configError.problems.map((p) => `  ${p}`)].join('\n'));
  });

  it('says "1 problem" for one', () => {
    expect(new ConfigError(['model_list: required']).message).toBe('Invalid configuration (1 problem):\n  model_list: required');
  });
});
