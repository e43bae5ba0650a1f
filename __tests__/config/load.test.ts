import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config/load';
import type { GatewayConfig } from '../../lib/config/types';
import { configErrorOf, problemsOf, SECRET_ENV } from './helpers';

const EXAMPLE = join(__dirname, '../fixtures/config/litellm-example.yaml');

/** What the LiteLLM example resolves to with {@link SECRET_ENV}. */
const RESOLVED_EXAMPLE: GatewayConfig = {
  model_list: [
    {
      model_name: 'my-bedrock-model',
      litellm_params: {
        model: 'bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0',
        aws_region_name: 'us-west-2',
        aws_access_key_id: SECRET_ENV.AWS_ACCESS_KEY_ID,
        aws_secret_access_key: SECRET_ENV.AWS_SECRET_ACCESS_KEY,
        rpm: 60,
      },
      model_info: { id: 'claude-west' },
    },
    {
      model_name: 'my-bedrock-model',
      litellm_params: {
        model: 'bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0',
        aws_region_name: 'us-east-1',
        aws_access_key_id: SECRET_ENV.AWS_ACCESS_KEY_ID,
        aws_secret_access_key: SECRET_ENV.AWS_SECRET_ACCESS_KEY,
        rpm: 100,
      },
      model_info: { id: 'claude-east' },
    },
  ],
  router_settings: { routing_strategy: 'simple-shuffle', num_retries: 2, cooldown_time: 30 },
  litellm_settings: {},
  general_settings: { master_key: 'sk-1234' },
};

const EXAMPLE_WARNINGS = [
  'general_settings.database_url: not used by bedrock-passthrough, ignored',
  'litellm_settings.drop_params: not used by bedrock-passthrough, ignored',
  'model_list[0].litellm_params.custom_llm_provider: not used by bedrock-passthrough, ignored',
  'model_list[1].litellm_params.custom_llm_provider: not used by bedrock-passthrough, ignored',
  'model_list[2].litellm_params.model: "openai/gpt-4o" is not a Bedrock model (bedrock/<model id>): deployment not used by bedrock-passthrough, ignored',
];

describe('loadConfig: the example of LiteLLM’s Bedrock documentation', () => {
  it('loads from a file: credentials and numbers from the environment, LiteLLM’s extras dropped with one warning each', () => {
    const warnings: string[] = [];
    const config = loadConfig(EXAMPLE, { env: SECRET_ENV, warn: (message) => warnings.push(message) });
    expect(config).toEqual(RESOLVED_EXAMPLE);
    expect(warnings).toEqual(EXAMPLE_WARNINGS);
  });

  it('loads the same from YAML text', () => {
    const warnings: string[] = [];
    const config = loadConfig(readFileSync(EXAMPLE, 'utf8'), { env: SECRET_ENV, warn: (message) => warnings.push(message) });
    expect(config).toEqual(RESOLVED_EXAMPLE);
    expect(warnings).toEqual(EXAMPLE_WARNINGS);
  });

  it('prints no warning unless asked to', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      loadConfig(EXAMPLE, { env: SECRET_ENV });
      expect(warn).not.toHaveBeenCalled();
      expect(error).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });

  it('reads process.env by default', () => {
    const saved = { ...process.env };
    Object.assign(process.env, SECRET_ENV);
    try {
      expect(loadConfig(EXAMPLE)).toEqual(RESOLVED_EXAMPLE);
    } finally {
      for (const name of Object.keys(SECRET_ENV)) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  it('names the file in the error when the file has problems', () => {
    const error = configErrorOf(() => loadConfig(EXAMPLE, { env: {} }));
    expect(error.file).toBe(EXAMPLE);
    expect(error.message.split('\n')[0]).toBe(`Invalid configuration in ${EXAMPLE} (5 problems):`);
    expect(error.problems).toEqual([
      'model_list[0].litellm_params.aws_access_key_id: environment variable AWS_ACCESS_KEY_ID is not set (os.environ/AWS_ACCESS_KEY_ID)',
      'model_list[0].litellm_params.aws_secret_access_key: environment variable AWS_SECRET_ACCESS_KEY is not set (os.environ/AWS_SECRET_ACCESS_KEY)',
      'model_list[0].litellm_params.rpm: environment variable WEST_RPM is not set (os.environ/WEST_RPM)',
      'model_list[1].litellm_params.aws_access_key_id: environment variable AWS_ACCESS_KEY_ID is not set (os.environ/AWS_ACCESS_KEY_ID)',
      'model_list[1].litellm_params.aws_secret_access_key: environment variable AWS_SECRET_ACCESS_KEY is not set (os.environ/AWS_SECRET_ACCESS_KEY)',
    ]);
  });
});

describe('loadConfig: the complete example of docs/configuration.md', () => {
  it('loads, dropping only the LiteLLM parts', () => {
    const doc = readFileSync(join(__dirname, '../../docs/configuration.md'), 'utf8');
    const example = /## A complete example\s+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const env = { ...SECRET_ENV, SONNET_EAST_RPM: '120', BEDROCK_API_KEY: 'b', GATEWAY_MASTER_KEY: 'sk-m', TEAM_A_KEY: 'sk-a', BATCH_KEY: 'sk-b' };
    const warnings: string[] = [];
    const config = loadConfig(example ?? '', { env, warn: (message) => warnings.push(message) });
    expect(config.model_list.map((d) => d.model_info?.id)).toEqual(['sonnet-east', 'sonnet-west', 'nova-provisioned']);
    expect(config.model_list[0]?.litellm_params.rpm).toBe(120);
    expect(warnings).toEqual([
      'litellm_settings.drop_params: not used by bedrock-passthrough, ignored',
      'model_list[3].litellm_params.model: "openai/gpt-4o" is not a Bedrock model (bedrock/<model id>): deployment not used by bedrock-passthrough, ignored',
    ]);
  });
});

describe('loadConfig: sources', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bedrock-passthrough-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('treats a string without a newline as a path, with or without a .yaml extension', () => {
    const path = join(dir, 'gateway.conf');
    writeFileSync(path, 'model_list:\n  - model_name: m\n    litellm_params: { model: bedrock/amazon.nova-lite-v1:0, aws_region_name: eu-west-1 }\ngeneral_settings: { master_key: sk-x }\n');
    expect(loadConfig(path).model_list[0]?.litellm_params.aws_region_name).toBe('eu-west-1');
  });

  it('refuses a missing file with a clear error naming the path', () => {
    const path = join(dir, 'missing.yaml');
    const error = configErrorOf(() => loadConfig(path));
    expect(error.problems).toEqual([`${path}: file not found (looked for ${path})`]);
    expect(error.message).toContain(path);
  });

  it('says where a relative path was looked for', () => {
    const problems = problemsOf(() => loadConfig('no-such-dir/config.yaml'));
    expect(problems).toEqual([`no-such-dir/config.yaml: file not found (looked for ${join(process.cwd(), 'no-such-dir/config.yaml')})`]);
  });

  it('refuses a path that is a directory', () => {
    expect(problemsOf(() => loadConfig(dir))[0]).toMatch(new RegExp(`^${escape(dir)}: cannot be read \\(.*EISDIR`));
  });
});

describe('loadConfig: YAML', () => {
  it('reports a syntax error with its line and column', () => {
    const text = 'model_list:\n  - model_name: m\n   litellm_params: {}\n';
    expect(problemsOf(() => loadConfig(text))).toEqual(['line 3, column 4: bad indentation of a sequence entry']);
  });

  it('reports a duplicated key, which YAML forbids', () => {
    const text = 'general_settings:\n  master_key: sk-a\n  master_key: sk-b\nmodel_list: []\n';
    expect(problemsOf(() => loadConfig(text))).toEqual(['line 3, column 3: duplicated mapping key']);
  });

  it('never quotes the source in a syntax error, where secrets may stand', () => {
    const text = 'general_settings:\n  master_key: "sk-very-secret\nmodel_list: []\n';
    const error = configErrorOf(() => loadConfig(text));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^line \d+, column \d+: /);
    expect(error.message).not.toContain('sk-very-secret');
  });

  it('refuses an empty document and one that is not a mapping', () => {
    expect(problemsOf(() => loadConfig('# nothing\n'))).toEqual(['YAML: expected a document, but the input is empty']);
    expect(problemsOf(() => loadConfig('- a\n- b\n'))).toEqual([
      '(top level): must be a mapping of sections (model_list, general_settings, ...)',
    ]);
  });

  it('reads merge keys, as LiteLLM’s PyYAML does', () => {
    const text = [
      'x-east: &east',
      '  aws_region_name: us-east-1',
      'model_list:',
      '  - model_name: m',
      '    litellm_params:',
      '      <<: *east',
      '      model: bedrock/amazon.nova-pro-v1:0',
      'general_settings: { master_key: sk-x }',
    ].join('\n');
    const warnings: string[] = [];
    const config = loadConfig(text, { warn: (message) => warnings.push(message) });
    expect(config.model_list[0]?.litellm_params).toEqual({ model: 'bedrock/amazon.nova-pro-v1:0', aws_region_name: 'us-east-1' });
    expect(warnings).toEqual(['x-east: not used by bedrock-passthrough, ignored']);
  });

  it('reads `key:` with no value as absent, as LiteLLM does', () => {
    const text = 'model_list:\n  - model_name: m\n    litellm_params:\n      model: bedrock/amazon.nova-pro-v1:0\n      aws_region_name: us-east-1\n      rpm:\nrouter_settings:\ngeneral_settings: { master_key: sk-x }\n';
    const config = loadConfig(text);
    expect(config.model_list[0]?.litellm_params).toEqual({ model: 'bedrock/amazon.nova-pro-v1:0', aws_region_name: 'us-east-1' });
    expect(config).not.toHaveProperty('router_settings');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
