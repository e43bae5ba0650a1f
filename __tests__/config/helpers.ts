import { ConfigError } from '../../lib/config/load';

/** The `ConfigError` that `run` throws; fails the test if it throws anything else or nothing. */
export function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

/** The problems of the `ConfigError` that `run` throws. */
export function problemsOf(run: () => unknown): string[] {
  return configErrorOf(run).problems;
}

/** The smallest valid configuration, as YAML would parse it; tests add the one thing they are about. */
export function minimalConfig(): Record<string, unknown> {
  return {
    model_list: [
      {
        model_name: 'claude',
        litellm_params: { model: 'bedrock/anthropic.claude-3-haiku-20240307-v1:0', aws_region_name: 'us-east-1' },
      },
    ],
    general_settings: { master_key: 'sk-master-secret' },
  };
}

/** Environment variables with secret-looking values, to check that no message ever repeats one. */
export const SECRET_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDSECRETVALUE0001',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI-secret-value-K7MDENG',
  WEST_RPM: '60',
};
