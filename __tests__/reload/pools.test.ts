/**
 * Upstream connections across a reload, seen from the upstream's side: a relay in front of the emulator counts the
 * TCP connections the gateway opens and holds. A reload that keeps every origin keeps the warm connections; one that
 * drops an origin closes its pool once the stream still running on it has ended, without cutting it.
 */
import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { GatewayConfig } from '../../lib/config/types';
import type { Principal } from '../../lib/types';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn, post, sdkClient, withGateway, type RunningGateway } from '../support/gateway';
import { until } from '../support/http2';

/**
 * A TCP relay to an emulator that counts the connections the gateway holds open. It hides the emulator's own idle
 * limit (node:http's 5 s, announced as `Keep-Alive: timeout=5`, which undici honours), so that the gateway's side
 * alone decides when a connection ends: an idle one stays open for the agent's keep-alive time, 30 s.
 */
interface CountingRelay {
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections the gateway holds open now. */
  readonly open: number;
  close(): Promise<void>;
}

const KEEP_ALIVE_HINT = /Keep-Alive: timeout=\d+\r\n/i;

async function relayTo(emulator: BedrockEmulator): Promise<CountingRelay> {
  const open = new Set<Socket>();
  let accepted = 0;
  const server = createServer((client) => {
    accepted++;
    open.add(client);
    const upstream = connect(emulator.port, '127.0.0.1');
    client.pipe(upstream);
    // Heads and bodies as received (latin1 keeps every byte), without the emulator's idle limit.
    upstream.on('data', (chunk: Buffer) => client.write(Buffer.from(chunk.toString('latin1').replace(KEEP_ALIVE_HINT, ''), 'latin1')));
    upstream.on('error', () => undefined);
    const drop = () => {
      open.delete(client);
      upstream.destroy();
    };
    client.on('close', drop).on('error', drop);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get accepted() {
      return accepted;
    },
    get open() {
      return open.size;
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let east: BedrockEmulator;
let west: BedrockEmulator;
let relay: CountingRelay;

beforeAll(async () => {
  [east, west] = await Promise.all([startBedrockEmulator({ region: 'us-east-1' }), startBedrockEmulator({ region: 'us-west-2' })]);
  relay = await relayTo(east);
});
afterAll(async () => {
  await relay.close();
  await Promise.all([east.close(), west.close()]);
});
beforeEach(() => {
  east.reset();
  west.reset();
});

/** `claude` on the east emulator, through the relay. */
function throughRelay(extra: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    model_list: [deploymentOn(east, 'claude', CLAUDE_ID, { aws_bedrock_runtime_endpoint: relay.url }, { id: 'claude-east' })],
    general_settings: { master_key: MASTER_KEY },
    ...extra,
  };
}

function onWest(): GatewayConfig {
  return { model_list: [deploymentOn(west, 'claude', CLAUDE_ID)], general_settings: { master_key: MASTER_KEY } };
}

function askClaude(gateway: RunningGateway): Promise<unknown> {
  return sdkClient(gateway).send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }));
}

describe('upstream connections across a reload', () => {
  it('are kept, warm, by a reload that still calls every origin', async () => {
    await withGateway(throughRelay(), async (gateway) => {
      const acceptedBefore = relay.accepted;
      await askClaude(gateway);
      expect(relay.accepted).toBe(acceptedBefore + 1);

      await gateway.passthrough.reload(throughRelay({ keys: [{ name: 'added', key: 'sk-pools-added-0001' }] }));
      await askClaude(gateway);

      // The second request went over the first one's connection: no new handshake after the reload.
      expect(relay.accepted).toBe(acceptedBefore + 1);
      expect(relay.open).toBe(1);
    });
  });

  it('are closed, for an origin a reload dropped, once the stream under way on it has ended — not before', async () => {
    const reply = Array.from({ length: 20 }, (_, i) => `part${i}`).join(' ');
    east.inject({ match: { operation: 'converse-stream' }, replyText: reply, chunkDelayMs: 40 });
    await withGateway(throughRelay(), async (gateway) => {
      const response = await post(gateway, '/model/claude/converse-stream', JSON.stringify({ messages: MESSAGES }));
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const received: Uint8Array[] = [(await reader.read()).value as Uint8Array];

      await gateway.passthrough.reload(onWest());
      await askClaude(gateway);
      expect(west.requests).toHaveLength(1);
      // The old pool is retired, but its stream is still running over its connection.
      expect(east.requests[0]?.outcome).toBe('pending');
      expect(relay.open).toBe(1);

      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received.push(chunk.value);
      expect(Buffer.concat(received).equals(east.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
      // Idle, it would stay open for the keep-alive time (30 s): only closing the retired pool ends it now.
      await until(() => relay.open === 0);
    });
  });

  it('serve a request that arrived before the reload, still uploading its body, on the pool it started with', async () => {
    let arrived!: () => void;
    const authenticating = new Promise<void>((resolve) => (arrived = resolve));
    // The host's authenticator runs before the body is read: it tells the test the request is under way.
    const auth = async (): Promise<Principal> => {
      arrived();
      return { keyId: 'host-user', keyName: 'host-user' };
    };
    await withGateway({ model_list: throughRelay().model_list, auth }, async (gateway) => {
      const body = JSON.stringify({ messages: MESSAGES });
      const upload = request(`${gateway.url}/model/claude/converse`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      const answered = once(upload, 'response') as Promise<[IncomingMessage]>;
      upload.write(body.slice(0, 10));
      await authenticating;

      await gateway.passthrough.reload({ model_list: onWest().model_list });
      upload.end(body.slice(10));
      const [response] = await answered;
      response.resume();
      await once(response, 'end');

      expect(response.statusCode).toBe(200);
      expect(response.headers['x-bedrock-passthrough-deployment']).toBe('claude-east');
      expect(east.requests.map((received) => received.body.toString())).toEqual([body]);
      await until(() => relay.open === 0);
    });
  });
});
