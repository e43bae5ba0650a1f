import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { loadConfig, resolveConfig } from '../../lib/config/load';
import { configErrorOf, minimalConfig, problemsOf, SECRET_ENV } from './helpers';

const EXAMPLE_TEXT = readFileSync(join(__dirname, '../fixtures/config/litellm-example.yaml'), 'utf8');

/** A configuration using every section, with values of the wrong JSON type that coercion fixes. */
const EVERY_SECTION = `
model_list:
  - model_name: claude
    litellm_params:
      model: bedrock/converse/us.anthropic.claude-3-7-sonnet-20250219-v1:0
      aws_region_name: os.environ/REGION
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      aws_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY
      aws_session_token: os.environ/SESSION_TOKEN
      aws_bedrock_runtime_endpoint: http://localhost:4566
      model_id: arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abc
      rpm: os.environ/RPM
      tpm: "100000"
      weight: os.environ/WEIGHT
      timeout: os.environ/TIMEOUT
      stream_timeout: 30
      max_tokens: 4096
    model_info:
      id: claude-main
      input_cost_per_token: 0.000003
      output_cost_per_token: "0.000015"
      cache_read_input_token_cost: 0.0000003
      cache_creation_input_token_cost: 0.00000375
  - model_name: nova
    litellm_params:
      model: bedrock/amazon.nova-lite-v1:0
      api_key: os.environ/BEDROCK_API_KEY
      tpm:
router_settings:
  routing_strategy: usage-based-routing
  num_retries: os.environ/RETRIES
  allowed_fails: 3
  cooldown_time: 60
  timeout: 600
  stream_timeout: 60
  fallbacks: [{ claude: [nova] }]
  redis_host: localhost
  redis_port: os.environ/REDIS_PORT
  redis_password: os.environ/REDIS_PASSWORD
general_settings:
  master_key: 1234
  key_header_name: x-gateway-key
  allow_unauthenticated: os.environ/OPEN
  max_request_size_mb: os.environ/MAX_MB
bedrock_settings:
  aws_region_name: eu-west-1
  allow_raw_model_ids: "true"
  forward_headers: [x-trace-id]
keys:
  - key: os.environ/TEAM_KEY
    name: team
    models: [claude]
    operations: [converse, converse-stream]
`;

const EVERY_SECTION_ENV = {
  ...SECRET_ENV,
  REGION: 'us-west-2',
  SESSION_TOKEN: 'session-token-secret-value',
  RPM: '600',
  WEIGHT: '0.5',
  TIMEOUT: '120',
  BEDROCK_API_KEY: 'bedrock-api-key-secret-value',
  RETRIES: '2',
  REDIS_PORT: '6379',
  REDIS_PASSWORD: 'redis-secret-value',
  OPEN: 'false',
  MAX_MB: '12.5',
  TEAM_KEY: 'sk-team-secret-value',
};

describe('resolveConfig: coercion', () => {
  it('turns numbers and booleans read from environment variables (or quoted) into numbers and booleans', () => {
    const config = loadConfig(EVERY_SECTION, { env: EVERY_SECTION_ENV });
    const claude = config.model_list[0]?.litellm_params;
    expect(claude).toMatchObject({ rpm: 600, tpm: 100000, weight: 0.5, timeout: 120, stream_timeout: 30 });
    expect(config.model_list[0]?.model_info?.output_cost_per_token).toBe(0.000015);
    expect(config.router_settings).toMatchObject({ num_retries: 2, redis_port: 6379, redis_password: 'redis-secret-value' });
    expect(config.general_settings).toEqual({
      master_key: '1234',
      key_header_name: 'x-gateway-key',
      allow_unauthenticated: false,
      max_request_size_mb: 12.5,
    });
    expect(config.bedrock_settings?.allow_raw_model_ids).toBe(true);
    expect(config.keys).toEqual([{ key: 'sk-team-secret-value', name: 'team', models: ['claude'], operations: ['converse', 'converse-stream'] }]);
  });

  it('names the variable a value of the wrong type came from', () => {
    const problems = problemsOf(() => loadConfig(EVERY_SECTION, { env: { ...EVERY_SECTION_ENV, RPM: 'plenty', OPEN: 'maybe' } }));
    expect(problems).toEqual([
      'general_settings.allow_unauthenticated: must be true or false (os.environ/OPEN)',
      'model_list[0].litellm_params.rpm: must be a whole number (os.environ/RPM)',
    ]);
  });
});

describe('resolveConfig: idempotence', () => {
  it.each([
    ['the LiteLLM example', EXAMPLE_TEXT, SECRET_ENV],
    ['a configuration using every section', EVERY_SECTION, EVERY_SECTION_ENV],
  ])('gives back an equal configuration, silently, when resolving %s again', (_, text, env) => {
    const once = loadConfig(text, { env });
    const warnings: string[] = [];
    const twice = resolveConfig(once, { env: {}, warn: (message) => warnings.push(message) });
    expect(twice).toEqual(once);
    expect(twice).not.toBe(once);
    expect(warnings).toEqual([]);
  });

  it('relies on the environment only for what it resolved the first time', () => {
    // A deployment whose region came from AWS_REGION still needs it: the region is not written into the result.
    const config = { ...minimalConfig(), model_list: [{ model_name: 'm', litellm_params: { model: 'bedrock/amazon.nova-pro-v1:0' } }] };
    const once = resolveConfig(config, { env: { AWS_REGION: 'us-east-1' } });
    expect(once.model_list[0]?.litellm_params).toEqual({ model: 'bedrock/amazon.nova-pro-v1:0' });
    expect(resolveConfig(once, { env: { AWS_REGION: 'us-east-1' } })).toEqual(once);
  });
});

describe('resolveConfig: the input', () => {
  it('is never modified, even where values are coerced, resolved, dropped or left out', () => {
    const raw = parseYaml(EVERY_SECTION) as Record<string, unknown> & { model_list: unknown[] };
    raw.model_list.push({ model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_key: 'os.environ/OPENAI_API_KEY' } });
    raw['litellm_settings'] = { drop_params: true };
    const before = structuredClone(raw);
    deepFreeze(raw);
    const resolved = resolveConfig(raw, { env: EVERY_SECTION_ENV });
    expect(raw).toEqual(before);
    expect(resolved.model_list).toHaveLength(2);
    expect(resolved.model_list[0]?.litellm_params.rpm).toBe(600);
  });
});

describe('messages never hold a secret', () => {
  const secrets = [
    'sk-literal-master-secret',
    'sk-literal-key-secret',
    'sk-typo-secret',
    'pw-endpoint-secret',
    'db-url-secret',
    'bedrock-api-key-secret',
    'aws-literal-secret',
    ...Object.values(SECRET_ENV).filter((value) => value !== SECRET_ENV.WEST_RPM),
  ];

  it('in problems and warnings, whatever the mistake', () => {
    const text = `
model_list:
  - model_name: claude
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      aws_region_name: us-east-1
      api_key: bedrock-api-key-secret
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      aws_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY
      aws_bedrock_runtime_endpoint: ftp://user:pw-endpoint-secret@vpce.example
      rpm: os.environ/AWS_SECRET_ACCESS_KEY
      tpm: os.environ/AWS_ACCESS_KEY_ID
general_settings:
  master_key: sk-literal-master-secret
  database_url: postgres://user:db-url-secret@db/litellm
bedrock_settings:
  aws_secret_access_key: aws-literal-secret
keys:
  - key: sk-literal-key-secret
    name: a
    key_typo: sk-typo-secret
  - key: sk-literal-key-secret
    name: b
  - key: sk-literal-master-secret
    name: c
  - key: [sk-typo-secret]
    name: d
`;
    const warnings: string[] = [];
    const problems = problemsOf(() => loadConfig(text, { env: SECRET_ENV, warn: (message) => warnings.push(message) }));
    expect(problems.length).toBeGreaterThanOrEqual(9);
    expect(warnings).toEqual(['general_settings.database_url: not used by bedrock-passthrough, ignored']);
    const error = configErrorOf(() => loadConfig(text, { env: SECRET_ENV }));
    for (const secret of secrets) {
      expect(error.message).not.toContain(secret);
      expect(String(error.stack)).not.toContain(secret);
      for (const line of [...problems, ...warnings]) expect(line).not.toContain(secret);
    }
  });

  it('in YAML syntax errors', () => {
    const text = 'general_settings:\n  master_key: sk-literal-master-secret\n    bad: indentation\n';
    expect(configErrorOf(() => loadConfig(text)).message).not.toContain('sk-literal-master-secret');
  });
});

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  Object.freeze(value);
  Object.values(value).forEach(deepFreeze);
}
