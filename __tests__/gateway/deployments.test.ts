/** Deployments: sharing a group's traffic, upstream credentials of every kind, and what hosts inject. */
import { ConfigError } from '../../lib/config/load';
import { GatewayError } from '../../lib/errors';
import { createBedrockPassthrough } from '../../lib/express';
import { EMULATOR_CREDENTIALS, startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import type { Deployment, PickContext, UsageRecord } from '../../lib/types';
import { MASTER_KEY, deploymentOn, post, withGateway } from '../support/gateway';

const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const BODY = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });

let east: BedrockEmulator;
let west: BedrockEmulator;
beforeAll(async () => {
  east = await startBedrockEmulator({ region: 'us-east-1' });
  west = await startBedrockEmulator({ region: 'us-west-2' });
});
afterAll(async () => {
  await east.close();
  await west.close();
});
beforeEach(() => {
  east.reset();
  west.reset();
});

describe('a group of deployments', () => {
  it('shares traffic by weight across regions, each signed for its own region', async () => {
    const options = {
      model_list: [
        deploymentOn(east, 'claude', CLAUDE, { weight: 3 }, { id: 'east' }),
        deploymentOn(west, 'claude', CLAUDE, { weight: 1 }, { id: 'west' }),
      ],
      general_settings: { master_key: MASTER_KEY },
    };
    await withGateway(options, async (gateway) => {
      const served: Record<string, number> = {};
      for (let index = 0; index < 200; index++) {
        const response = await post(gateway, '/model/claude/converse', BODY);
        expect(response.status).toBe(200);
        const id = response.headers.get('x-bedrock-passthrough-deployment') ?? '';
        served[id] = (served[id] ?? 0) + 1;
      }
      // Expected 150/50; the bounds are six standard deviations wide.
      expect(served['east']).toBeGreaterThan(113);
      expect(served['east']).toBeLessThan(187);
      expect(east.requests).toHaveLength(served['east'] ?? 0);
      expect(west.requests).toHaveLength(served['west'] ?? 0);
      expect([...east.requests, ...west.requests].every((request) => request.auth?.accepted)).toBe(true);
    });
  });

  it('uses a balancer the host passes', async () => {
    const pick = jest.fn((candidates: readonly Deployment[], _context: PickContext) =>
      candidates.find((candidate) => candidate.region === 'us-west-2'),
    );
    const options = {
      model_list: [deploymentOn(east, 'claude', CLAUDE), deploymentOn(west, 'claude', CLAUDE)],
      general_settings: { master_key: MASTER_KEY },
      balancer: pick,
    };
    await withGateway(options, async (gateway) => {
      for (let index = 0; index < 5; index++) await post(gateway, '/model/claude/converse', BODY);
      expect(west.requests).toHaveLength(5);
      expect(pick).toHaveBeenCalledTimes(5);
      expect(pick.mock.calls[0]?.[1]).toMatchObject({ operation: 'converse', modelName: 'claude', principal: { keyId: 'master' } });
    });
  });
});

describe('upstream credentials', () => {
  it('sends a deployment’s Bedrock API key as a bearer token', async () => {
    const keyed = await startBedrockEmulator({ apiKeys: ['ABSK-upstream-key'] });
    try {
      const deployment = deploymentOn(keyed, 'claude', CLAUDE);
      const { aws_access_key_id: _id, aws_secret_access_key: _secret, ...params } = deployment.litellm_params;
      await withGateway(
        { model_list: [{ ...deployment, litellm_params: { ...params, api_key: 'ABSK-upstream-key' } }], general_settings: { master_key: MASTER_KEY } },
        async (gateway) => {
          expect((await post(gateway, '/model/claude/converse', BODY)).status).toBe(200);
          expect(keyed.requests[0]?.auth).toMatchObject({ scheme: 'bearer', accepted: true });
        },
      );
    } finally {
      await keyed.close();
    }
  });

  it('signs with temporary credentials and their session token', async () => {
    const temporary = { accessKeyId: 'ASIATEMP', secretAccessKey: 'temp-secret', sessionToken: 'temp-token' };
    const sts = await startBedrockEmulator({ credentials: [temporary] });
    try {
      const deployment = deploymentOn(sts, 'claude', CLAUDE, {
        aws_access_key_id: temporary.accessKeyId,
        aws_secret_access_key: temporary.secretAccessKey,
        aws_session_token: temporary.sessionToken,
      });
      await withGateway({ model_list: [deployment], general_settings: { master_key: MASTER_KEY } }, async (gateway) => {
        expect((await post(gateway, '/model/claude/converse', BODY)).status).toBe(200);
        expect(sts.requests[0]?.auth).toMatchObject({ scheme: 'sigv4', accepted: true, accessKeyId: 'ASIATEMP' });
      });
    } finally {
      await sts.close();
    }
  });

  function withoutCredentials(emulator: BedrockEmulator) {
    const { aws_access_key_id: _id, aws_secret_access_key: _secret, ...params } = deploymentOn(emulator, 'claude', CLAUDE).litellm_params;
    return { model_name: 'claude', litellm_params: params };
  }

  it('asks a host credentials provider, and caches its answer until shortly before expiry', async () => {
    const provider = jest.fn(async () => ({ ...EMULATOR_CREDENTIALS, expiration: new Date(Date.now() + 3600_000) }));
    await withGateway(
      { model_list: [withoutCredentials(east)], general_settings: { master_key: MASTER_KEY }, credentials: provider },
      async (gateway) => {
        const responses = await Promise.all(Array.from({ length: 5 }, () => post(gateway, '/model/claude/converse', BODY)));
        expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
        expect(provider).toHaveBeenCalledTimes(1);
      },
    );
  });

  it('refreshes credentials about to expire', async () => {
    const provider = jest.fn(async () => ({ ...EMULATOR_CREDENTIALS, expiration: new Date(Date.now() + 60_000) }));
    await withGateway(
      { model_list: [withoutCredentials(east)], general_settings: { master_key: MASTER_KEY }, credentials: provider },
      async (gateway) => {
        await post(gateway, '/model/claude/converse', BODY);
        await post(gateway, '/model/claude/converse', BODY);
        expect(provider).toHaveBeenCalledTimes(2);
      },
    );
  });

  it('falls back to the AWS environment variables, and names them when they are missing', async () => {
    const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
    try {
      delete process.env['AWS_ACCESS_KEY_ID'];
      delete process.env['AWS_SECRET_ACCESS_KEY'];
      await withGateway({ model_list: [withoutCredentials(east)], general_settings: { master_key: MASTER_KEY } }, async (gateway) => {
        const missing = await post(gateway, '/model/claude/converse', BODY);
        expect(missing.status).toBe(500);
        expect(missing.headers.get('x-amzn-errortype')).toBe('InternalServerException');
        expect(((await missing.json()) as { message: string }).message).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
        process.env['AWS_ACCESS_KEY_ID'] = EMULATOR_CREDENTIALS.accessKeyId;
        process.env['AWS_SECRET_ACCESS_KEY'] = EMULATOR_CREDENTIALS.secretAccessKey;
        expect((await post(gateway, '/model/claude/converse', BODY)).status).toBe(200);
        expect(east.requests).toHaveLength(1);
      });
    } finally {
      for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('answers 503 ServiceUnavailableException when Bedrock cannot be reached', async () => {
    const deployment = deploymentOn(east, 'claude', CLAUDE, { aws_bedrock_runtime_endpoint: 'http://127.0.0.1:9' });
    await withGateway({ model_list: [deployment], general_settings: { master_key: MASTER_KEY } }, async (gateway) => {
      const response = await post(gateway, '/model/claude/converse', BODY);
      expect(response.status).toBe(503);
      expect(response.headers.get('x-amzn-errortype')).toBe('ServiceUnavailableException');
      expect(((await response.json()) as { message: string }).message).toMatch(/could not be reached \(ECONNREFUSED\)/);
    });
  });
});

describe('raw Bedrock model ids', () => {
  it('are served with bedrock_settings when allowed, and refused otherwise', async () => {
    const settings = {
      aws_region_name: 'us-east-1',
      aws_bedrock_runtime_endpoint: east.url,
      aws_access_key_id: EMULATOR_CREDENTIALS.accessKeyId,
      aws_secret_access_key: EMULATOR_CREDENTIALS.secretAccessKey,
    };
    const model_list = [deploymentOn(east, 'claude', CLAUDE)];
    await withGateway({ model_list, general_settings: { master_key: MASTER_KEY }, bedrock_settings: settings }, async (gateway) => {
      expect((await post(gateway, '/model/meta.llama3-70b-instruct-v1%3A0/converse', BODY)).status).toBe(400);
    });
    await withGateway(
      { model_list, general_settings: { master_key: MASTER_KEY }, bedrock_settings: { ...settings, allow_raw_model_ids: true } },
      async (gateway) => {
        expect((await post(gateway, '/model/meta.llama3-70b-instruct-v1%3A0/converse', BODY)).status).toBe(200);
        expect(east.requests[0]?.modelId).toBe('meta.llama3-70b-instruct-v1:0');
      },
    );
  });
});

describe('what hosts inject', () => {
  it('records every request with the cost tracker, never a secret, and survives one that throws', async () => {
    const records: UsageRecord[] = [];
    const options = {
      model_list: [deploymentOn(east, 'claude', CLAUDE, {}, { id: 'east-1' })],
      general_settings: { master_key: MASTER_KEY },
      keys: [{ key: 'sk-team-b', name: 'team-b' }],
      costTracker: {
        record(usage: UsageRecord) {
          records.push(usage);
          throw new Error('tracker down');
        },
      },
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: jest.fn() },
    };
    await withGateway(options, async (gateway) => {
      const response = await post(gateway, '/model/claude/converse', BODY, { 'x-api-key': 'sk-team-b', 'content-type': 'application/json' });
      expect(response.status).toBe(200);
      east.inject({ error: { type: 'ThrottlingException' }, times: 3 });
      expect((await post(gateway, '/model/claude/converse', BODY)).status).toBe(429);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(records).toHaveLength(2);
      expect(records[0]).toMatchObject({
        keyId: 'key:team-b',
        keyName: 'team-b',
        operation: 'converse',
        modelName: 'claude',
        deploymentId: 'east-1',
        modelId: CLAUDE,
        region: 'us-east-1',
        streamed: false,
        status: 200,
        outcome: 'completed',
      });
      expect(records[0]?.latencyMs).toBeGreaterThan(0);
      expect(records[1]).toMatchObject({ status: 429, errorType: 'ThrottlingException', keyId: 'master' });
      expect(JSON.stringify(records)).not.toMatch(/sk-team-b|sk-master|secret/);
      expect(options.logger.error).toHaveBeenCalled();
    });
  });

  it('lets a host authenticator decide who calls, and what the client hears when it refuses', async () => {
    const teams: Record<string, { name: string; models: string[] }> = { 'team-token-1': { name: 'search', models: ['claude'] } };
    const options = {
      model_list: [deploymentOn(east, 'claude', CLAUDE), deploymentOn(east, 'nova', 'amazon.nova-lite-v1:0')],
      auth: async ({ headers }: { headers: Record<string, string | string[] | undefined> }) => {
        const token = headers['x-team-token'];
        if (token === 'rate-limited') throw new GatewayError('ThrottlingException', 'Team over its quota.');
        const team = typeof token === 'string' ? teams[token] : undefined;
        if (!team) throw new Error('unknown team (internal detail)');
        return { keyId: `team:${team.name}`, keyName: team.name, models: team.models };
      },
    };
    await withGateway(options, async (gateway) => {
      const call = (token: string, model = 'claude') =>
        post(gateway, `/model/${model}/converse`, BODY, { 'x-team-token': token, 'content-type': 'application/json' });
      expect((await call('team-token-1')).status).toBe(200);
      expect((await call('team-token-1', 'nova')).status).toBe(403);
      const unknown = await call('nope');
      expect(unknown.status).toBe(403);
      expect(await unknown.text()).not.toContain('internal detail');
      expect((await call('rate-limited')).status).toBe(429);
    });
  });

  it('refuses at start-up a config with no keys at all, unless unauthenticated use is explicit', async () => {
    expect(() => createBedrockPassthrough({ model_list: [deploymentOn(east, 'claude', CLAUDE)] })).toThrow(ConfigError);
    await withGateway(
      { model_list: [deploymentOn(east, 'claude', CLAUDE)], general_settings: { allow_unauthenticated: true } },
      async (gateway) => {
        expect((await post(gateway, '/model/claude/converse', BODY, { 'content-type': 'application/json' })).status).toBe(200);
      },
    );
  });
});
