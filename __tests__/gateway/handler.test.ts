/** The framework-free core on bare `node:http`, as the CLI serves it. */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBedrockHandler } from '../../lib/handler';
import { EMULATOR_CREDENTIALS, startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MASTER_KEY, deploymentOn } from '../support/gateway';

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator();
});
afterAll(() => emulator.close());

describe('createBedrockHandler on node:http', () => {
  it('serves below its mount path and reports its deployments without secrets', async () => {
    const warnings: string[] = [];
    const handler = createBedrockHandler({
      model_list: [deploymentOn(emulator, 'claude', 'anthropic.claude-3-5-sonnet-20240620-v1:0', { weight: 2 }, { id: 'east' })],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { num_retries: 3, routing_strategy: 'cost-based-routing' },
      mountPath: '/bedrock/',
      logger: { debug: () => undefined, info: () => undefined, warn: (_fields, message) => void warnings.push(message ?? ''), error: () => undefined },
    });
    const server = createServer(handler).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const response = await fetch(`${origin}/bedrock/model/claude/converse`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: '{"messages":[]}',
      });
      expect(response.status).toBe(200);
      expect((await fetch(`${origin}/elsewhere/model/claude/converse`, { method: 'POST' })).status).toBe(404);
      expect(handler.deployments).toEqual([
        {
          id: 'east',
          modelName: 'claude',
          modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
          region: 'us-east-1',
          endpoint: emulator.url,
          weight: 2,
          rpm: undefined,
          tpm: undefined,
        },
      ]);
      expect(JSON.stringify(handler.deployments)).not.toContain(EMULATOR_CREDENTIALS.secretAccessKey);
      expect(warnings).toEqual(["routing_strategy 'cost-based-routing' is not supported; using simple-shuffle"]);
    } finally {
      server.closeAllConnections();
      server.close();
      await handler.close();
    }
  });
});
