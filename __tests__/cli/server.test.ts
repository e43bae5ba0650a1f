/** The CLI server's dispatch, in process, around a stub handler: what goes where, and what readiness shows. */
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayServer } from '../../lib/cli/server';
import type { BedrockHandler } from '../../lib/handler';
import { createSpendTable } from '../../lib/tracking/spend-table';
import { MemoryStore } from '../../lib/state/memory-store';
import type { Deployment } from '../../lib/types';

const DEPLOYMENT: Deployment = {
  id: 'claude-east',
  modelName: 'claude',
  modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
  region: 'us-east-1',
  endpoint: 'https://vpce-0abc.bedrock-runtime.us-east-1.vpce.amazonaws.com/base',
  weight: 3,
  rpm: 100,
};

let server: Server;
let origin: string;
const seen: string[] = [];

beforeAll(async () => {
  const handler = Object.assign(
    (req: IncomingMessage, res: ServerResponse) => {
      seen.push(`${req.method} ${req.url}`);
      res.end('handled');
    },
    { deployments: [DEPLOYMENT], spend: createSpendTable(new MemoryStore()), close: async () => undefined },
  ) satisfies BedrockHandler;
  server = createGatewayServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => (seen.length = 0));

it('readiness shows five fields of each deployment, and nothing else of it', async () => {
  const response = await fetch(`${origin}/bedrock/health`);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(await response.json()).toEqual({
    status: 'ok',
    deployments: [
      {
        id: 'claude-east',
        modelName: 'claude',
        modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
        region: 'us-east-1',
        endpoint: 'https://vpce-0abc.bedrock-runtime.us-east-1.vpce.amazonaws.com/base',
      },
    ],
  });
});

it('answers HEAD on the health paths, without a body', async () => {
  for (const path of ['/health', '/bedrock/health']) {
    const response = await fetch(`${origin}${path}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  }
  expect(seen).toEqual([]);
});

it('passes everything else below /bedrock to the handler as received, the query and other methods on health included', async () => {
  await fetch(`${origin}/bedrock/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse?x=1`, { method: 'POST', body: '{}' });
  await fetch(`${origin}/bedrock/health`, { method: 'POST', body: '{}' });
  await fetch(`${origin}/bedrock`);
  expect(seen).toEqual([
    'POST /bedrock/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse?x=1',
    'POST /bedrock/health',
    'GET /bedrock',
  ]);
});

it('reads the health paths without their query', async () => {
  const response = await fetch(`${origin}/health?probe=kubelet`);
  expect(await response.json()).toEqual({ status: 'ok' });
});
