/**
 * Reloading the configuration of a running gateway (the Express middleware, real HTTP, the AWS SDK, emulators as
 * Bedrock): a new configuration serves every request that arrives after it, requests under way finish on the one
 * they started with, an invalid one is refused whole with every problem, and what was counted lives on.
 */
import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { dump } from 'js-yaml';
import { ConfigError } from '../../lib/config/load';
import type { GatewayConfig } from '../../lib/config/types';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MESSAGES, CLAUDE_ID } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn, post, sdkClient, withGateway, type RunningGateway } from '../support/gateway';
import { recordingLogger } from '../state/recording-logger';
import { temporaryDirectory } from '../cli/processes';

const HAIKU_ID = 'anthropic.claude-3-haiku-20240307-v1:0';
const LONG_REPLY = Array.from({ length: 24 }, (_, i) => `word${i}`).join(' ');

let east: BedrockEmulator;
let west: BedrockEmulator;

beforeAll(async () => {
  [east, west] = await Promise.all([
    startBedrockEmulator({ region: 'us-east-1', replyText: 'Answered in the east.' }),
    startBedrockEmulator({ region: 'us-west-2', replyText: 'Answered in the west.' }),
  ]);
});
afterAll(async () => {
  await Promise.all([east.close(), west.close()]);
});
beforeEach(() => {
  east.reset();
  west.reset();
});

/** `claude` on the east emulator, the master key, and whatever `extra` adds. */
function eastConfig(extra: Partial<GatewayConfig> = {}): GatewayConfig {
  return { model_list: [deploymentOn(east, 'claude', CLAUDE_ID, {}, { id: 'claude-east' })], general_settings: { master_key: MASTER_KEY }, ...extra };
}

/** `claude` moved to the west emulator, on another model id. */
function westConfig(extra: Partial<GatewayConfig> = {}): GatewayConfig {
  return { model_list: [deploymentOn(west, 'claude', HAIKU_ID, {}, { id: 'claude-west' })], general_settings: { master_key: MASTER_KEY }, ...extra };
}

async function askClaude(gateway: RunningGateway, key = MASTER_KEY): Promise<string | undefined> {
  const response = await sdkClient(gateway, key).send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }));
  return response.output?.message?.content?.[0]?.text;
}

/** The error name an SDK call failed with, or 'ok'. */
async function outcomeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    return (error as Error).name;
  }
}

describe('reload(config)', () => {
  it('swaps a model group to another deployment: requests after it go to the new upstream and model id', async () => {
    await withGateway(eastConfig(), async (gateway) => {
      expect(await askClaude(gateway)).toBe('Answered in the east.');

      const summary = await gateway.passthrough.reload(westConfig());

      expect(summary).toEqual({ modelGroups: 1, deployments: 1, keys: 0, warnings: [] });
      expect(await askClaude(gateway)).toBe('Answered in the west.');
      expect(west.requests.map((request) => request.modelId)).toEqual([HAIKU_ID]);
      expect(east.requests).toHaveLength(1);
    });
  });

  it('lets a stream started before the reload finish byte for byte on the old deployment, while new requests use the new one', async () => {
    east.inject({ match: { operation: 'converse-stream' }, replyText: LONG_REPLY, chunkDelayMs: 40 });
    await withGateway(eastConfig(), async (gateway) => {
      const response = await post(gateway, '/model/claude/converse-stream', JSON.stringify({ messages: MESSAGES }));
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const received: Uint8Array[] = [];
      const first = await reader.read();
      received.push(first.value as Uint8Array);

      await gateway.passthrough.reload(westConfig());
      // The reload happened while the stream was still being relayed, or this test would prove nothing.
      expect(east.requests[0]?.outcome).toBe('pending');
      expect(await askClaude(gateway)).toBe('Answered in the west.');

      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received.push(chunk.value);
      expect(Buffer.concat(received).equals(east.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
      expect(east.requests[0]?.outcome).toBe('completed');
      expect(response.headers.get('x-bedrock-passthrough-deployment')).toBe('claude-east');
      expect(west.requests.map((request) => request.operation)).toEqual(['converse']);
    });
  });

  it('refuses an invalid configuration with every problem, logs them in one line, and keeps serving the old one', async () => {
    const logger = recordingLogger();
    await withGateway({ ...eastConfig(), logger }, async (gateway) => {
      const invalid = {
        model_list: [{ model_name: 'claude', litellm_params: { aws_region_name: 'us-west-2' } }],
        general_settings: { master_key: MASTER_KEY },
        router_settings: { num_retries: 'several' },
      } as unknown as GatewayConfig;

      const refusal = gateway.passthrough.reload(invalid);

      await expect(refusal).rejects.toBeInstanceOf(ConfigError);
      const { problems } = (await refusal.catch((error: unknown) => error)) as ConfigError;
      expect(problems).toEqual([
        expect.stringMatching(/^model_list\[0\]\.litellm_params\.model: /),
        expect.stringMatching(/^router_settings\.num_retries: /),
      ]);
      const refused = logger.lines.filter((line) => line.message?.startsWith('configuration refused'));
      expect(refused).toEqual([{ level: 'error', fields: { config: '(object)', problems }, message: 'configuration refused: the current one stays in effect' }]);
      expect(await askClaude(gateway)).toBe('Answered in the east.');
      expect(west.requests).toHaveLength(0);
    });
  });

  it('puts keys added in effect and takes keys removed out', async () => {
    const alpha = { name: 'alpha', key: 'sk-reload-alpha-0001' };
    const beta = { name: 'beta', key: 'sk-reload-beta-0002' };
    await withGateway(eastConfig({ keys: [alpha] }), async (gateway) => {
      expect(await outcomeOf(askClaude(gateway, alpha.key))).toBe('ok');
      expect(await outcomeOf(askClaude(gateway, beta.key))).toBe('AccessDeniedException');

      expect(await gateway.passthrough.reload(eastConfig({ keys: [beta] }))).toMatchObject({ keys: 1 });

      expect(await outcomeOf(askClaude(gateway, alpha.key))).toBe('AccessDeniedException');
      expect(await outcomeOf(askClaude(gateway, beta.key))).toBe('ok');
    });
  });

  it('keeps spend and key usage counted across a reload; the new limits apply from then on', async () => {
    const limited = (rpm: number) => ({ keys: [{ name: 'limited', key: 'sk-reload-limited-0003', rpm }] });
    await withGateway(eastConfig(limited(2)), async (gateway) => {
      const key = 'sk-reload-limited-0003';
      expect([await outcomeOf(askClaude(gateway, key)), await outcomeOf(askClaude(gateway, key))]).toEqual(['ok', 'ok']);

      await gateway.passthrough.reload({ ...eastConfig(limited(2)), model_list: [...eastConfig().model_list, deploymentOn(west, 'haiku', HAIKU_ID)] });
      // The minute's two requests still count: the third is refused as it would have been without the reload.
      expect(await outcomeOf(askClaude(gateway, key))).toBe('ThrottlingException');
      expect((await gateway.passthrough.spend.report()).byKey['limited']?.requests).toBe(3);

      await gateway.passthrough.reload(eastConfig(limited(4)));
      expect(await outcomeOf(askClaude(gateway, key))).toBe('ok');
      expect((await gateway.passthrough.spend.report()).byKey['limited']?.requests).toBe(4);
    });
  });

  it('carries a cooldown over to the deployment of the same id, and forgets those of deployments dropped', async () => {
    const settings = { router_settings: { num_retries: 0, cooldown_time: 300 } };
    const withHaiku = (config: GatewayConfig) => ({ ...config, model_list: [...config.model_list, deploymentOn(west, 'haiku', HAIKU_ID, {}, { id: 'haiku-west' })] });
    await withGateway(withHaiku(eastConfig(settings)), async (gateway) => {
      east.inject({ error: { type: 'ThrottlingException' } });
      expect(await outcomeOf(askClaude(gateway))).toBe('ThrottlingException');
      const coolingDown = async () => {
        const response = await fetch(`${gateway.url}/admin/deployments`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
        const { deployments } = (await response.json()) as { deployments: Array<{ id: string; coolingDown: boolean }> };
        return Object.fromEntries(deployments.map((deployment) => [deployment.id, deployment.coolingDown]));
      };
      expect(await coolingDown()).toEqual({ 'claude-east': true, 'haiku-west': false });

      await gateway.passthrough.reload(withHaiku(eastConfig({ ...settings, keys: [{ name: 'new', key: 'sk-reload-new-0004' }] })));
      expect(await coolingDown()).toEqual({ 'claude-east': true, 'haiku-west': false });

      // Dropped, then back under the same id: it starts afresh, as any new deployment does.
      await gateway.passthrough.reload(withHaiku({ ...eastConfig(settings), model_list: [] }));
      await gateway.passthrough.reload(withHaiku(eastConfig(settings)));
      expect(await coolingDown()).toEqual({ 'claude-east': false, 'haiku-west': false });
    });
  });
});

describe('reload() of a gateway made from its source', () => {
  it('reads the file again, and refuses a YAML syntax error with its place while the last good file keeps serving', async () => {
    const directory = temporaryDirectory();
    const file = directory.write('config.yaml', dump(eastConfig()));
    try {
      await withGateway(file, async (gateway) => {
        expect(await askClaude(gateway)).toBe('Answered in the east.');

        directory.write('config.yaml', dump(westConfig()));
        expect(await gateway.passthrough.reload()).toMatchObject({ modelGroups: 1, deployments: 1 });
        expect(await askClaude(gateway)).toBe('Answered in the west.');

        directory.write('config.yaml', 'model_list:\n  - model_name: [claude\n');
        const refusal = (await gateway.passthrough.reload().catch((error: unknown) => error)) as ConfigError;
        expect(refusal).toBeInstanceOf(ConfigError);
        expect(refusal.file).toBe(file);
        expect(refusal.problems).toEqual([expect.stringMatching(/^line \d+, column \d+: /)]);
        expect(await askClaude(gateway)).toBe('Answered in the west.');
        expect(west.requests.map((request) => request.modelId)).toEqual([HAIKU_ID, HAIKU_ID]);
      });
    } finally {
      directory.remove();
    }
  });

  it('resolves os.environ/ values again: a variable changed takes effect, one unset is refused', async () => {
    const variable = 'RELOAD_TEST_MASTER_KEY';
    process.env[variable] = 'sk-reload-env-first-0005';
    try {
      await withGateway(eastConfig({ general_settings: { master_key: `os.environ/${variable}` } }), async (gateway) => {
        expect(await outcomeOf(askClaude(gateway, 'sk-reload-env-first-0005'))).toBe('ok');

        process.env[variable] = 'sk-reload-env-second-0006';
        await gateway.passthrough.reload();
        expect(await outcomeOf(askClaude(gateway, 'sk-reload-env-first-0005'))).toBe('AccessDeniedException');
        expect(await outcomeOf(askClaude(gateway, 'sk-reload-env-second-0006'))).toBe('ok');

        delete process.env[variable];
        await expect(gateway.passthrough.reload()).rejects.toMatchObject({
          problems: [`general_settings.master_key: environment variable ${variable} is not set (os.environ/${variable})`],
        });
        expect(await outcomeOf(askClaude(gateway, 'sk-reload-env-second-0006'))).toBe('ok');
      });
    } finally {
      delete process.env[variable];
    }
  });
});
