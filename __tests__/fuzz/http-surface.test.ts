/**
 * Property tests over the gateway's HTTP surface, on both doors: the Express mount and the bare core handler on
 * node:http, each over real loopback HTTP in front of the emulator. Random methods, paths (route-shaped, junk,
 * percent-encoded bytes), headers, bodies and credentials through undici; random bytes, HTTP bent out of shape
 * included, on raw sockets. Properties: every answer that is not a success is Bedrock-shaped (or node:http refusing
 * bytes it will not serve, classified explicitly); a success needs a valid key; the upstream hears of a request
 * only when it carried a valid key, and never sees that key; the server keeps serving. Replay a failure with
 * `FUZZ_SEED=<seed printed by fast-check>`.
 */
import fc from 'fast-check';
import { once } from 'node:events';
import { METHODS, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { createBedrockHandler } from '../../lib/handler';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import type { PassthroughOptions } from '../../lib/types';
import { deploymentOn, startGateway, type RunningGateway } from '../support/gateway';
import { exchangeRaw, isNodeRefusal, notBedrockShaped, type HttpAnswer } from './answers';
import { FUZZ_KEYS, MOUNT, fuzzRequest, rawBytes } from './http-arbitraries';

const SEED = process.env['FUZZ_SEED'] === undefined ? {} : { seed: Number(process.env['FUZZ_SEED']) };
const GOOD_CONVERSE = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });

let emulator: BedrockEmulator;
let express: RunningGateway;
let bare: { server: Server; url: string; port: number; close(): Promise<void> };
const client = new Agent({ headersTimeout: 10_000, bodyTimeout: 10_000 });

function options(): PassthroughOptions {
  return {
    model_list: [deploymentOn(emulator, 'claude', 'anthropic.claude-3-5-sonnet-20240620-v1:0'), deploymentOn(emulator, 'nova', 'amazon.nova-lite-v1:0')],
    general_settings: { master_key: FUZZ_KEYS.valid },
    keys: [{ key: FUZZ_KEYS.limited, name: 'limited', models: ['nova'], operations: ['converse'], rpm: 100_000 }],
  };
}

beforeAll(async () => {
  emulator = await startBedrockEmulator();
  express = await startGateway(options(), { mount: MOUNT });
  const handler = createBedrockHandler({ ...options(), mountPath: MOUNT });
  const server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  bare = {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await handler.close();
    },
  };
});
afterAll(async () => {
  await client.close();
  await express?.close();
  await bare?.close();
  await emulator?.close();
});

const doors = () => [
  // Beside its mount, the host app answers (Express's own 404 page): only paths below the mount are the gateway's.
  { name: 'Express mount', origin: () => express.origin, port: () => Number(new URL(express.origin).port), ownsEveryPath: false },
  { name: 'core handler on node:http', origin: () => bare.url, port: () => bare.port, ownsEveryPath: true },
];

/** One request through undici; the whole answer. */
async function send(origin: string, verb: string, path: string, head: Record<string, string>, payload: Buffer | undefined): Promise<HttpAnswer> {
  const answer = await request(`${origin}${path}`, { method: verb, headers: head, body: verb === 'HEAD' ? undefined : payload, dispatcher: client });
  return { status: answer.statusCode, headers: answer.headers, body: Buffer.from(await answer.body.arrayBuffer()) };
}

/** A known-good call: the door still serves after everything the properties threw at it. */
async function expectStillServing(origin: string): Promise<void> {
  const answer = await send(origin, 'POST', `${MOUNT}/model/claude/converse`, { authorization: `Bearer ${FUZZ_KEYS.valid}`, 'content-type': 'application/json' }, Buffer.from(GOOD_CONVERSE));
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body.toString('utf8'))).toHaveProperty('usage');
}

describe.each(doors())('the HTTP surface through the $name', ({ origin, port, ownsEveryPath }) => {
  /**
   * Whether the gateway answers for this request target: below the mount once dot segments are resolved (`/bedrock/..`
   * and `/bedrock/%2e%2e` are `/`, as Express sees them); an absolute-form target by its path.
   */
  const ours = (requestTarget: string) => {
    if (ownsEveryPath) return true;
    try {
      const url = /^https?:\/\//i.test(requestTarget) ? new URL(requestTarget) : new URL(`http://gateway${requestTarget}`);
      return /^\/bedrock(\/|$)/.test(url.pathname);
    } catch {
      return false;
    }
  };

  it('answers any request in Bedrock’s format, succeeds only for a valid key, and calls upstream only with one', async () => {
    let succeeded = 0;
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async ({ method: verb, target: path, headers: extra, credential: auth, body: payload }) => {
        const upstreamBefore = emulator.requests.length;
        const answer = await send(origin(), verb, path, { ...extra, ...auth.headers }, payload);
        const upstream = emulator.requests.slice(upstreamBefore);
        const keyed = auth.kind === 'valid' || auth.kind === 'limited';

        if (!METHODS.includes(verb)) {
          // node:http's parser knows a fixed set of methods and refuses any other before a handler runs.
          expect({ status: answer.status, connection: answer.headers['connection'], body: answer.body.length }).toEqual({ status: 400, connection: 'close', body: 0 });
        } else if (!ours(path)) {
          expect(answer.status).toBe(404);
        } else if (answer.status >= 200 && answer.status < 300) {
          expect({ keyed, status: answer.status }).toEqual({ keyed: true, status: answer.status });
          succeeded += 1;
        } else {
          expect(notBedrockShaped(answer, verb)).toBeUndefined();
        }
        if (!keyed) expect(upstream).toEqual([]);
        for (const call of upstream) expect(JSON.stringify(call.headers)).not.toContain(auth.headers['authorization'] ?? auth.headers['x-api-key']);
      }),
      { numRuns: 300, ...SEED },
    );
    // The runs reached the upstream too, not only the refusals.
    expect(succeeded).toBeGreaterThan(0);
    await expectStillServing(origin());
  });

  it('answers raw bytes, HTTP or not, in Bedrock’s format or with node:http’s refusal, and never calls upstream', async () => {
    let handled = 0;
    await fc.assert(
      fc.asyncProperty(rawBytes, async (bytes) => {
        const upstreamBefore = emulator.requests.length;
        const exchange = await exchangeRaw(port(), bytes);
        expect(exchange.closed).toBe(true);
        // Nothing at all back: only for bytes that hold no whole request head, which node:http drops unanswered.
        if (exchange.answer === undefined) expect(bytes.includes('\r\n\r\n')).toBe(false);
        else if (!isNodeRefusal(exchange, bytes)) {
          const [verb = '', requestTarget = ''] = bytes.toString('latin1').split(' ');
          if (ours(requestTarget)) expect(notBedrockShaped(exchange.answer, verb)).toBeUndefined();
          handled += 1;
        }
        expect(emulator.requests.slice(upstreamBefore)).toEqual([]);
      }),
      { numRuns: 300, ...SEED },
    );
    // Some of the bytes were HTTP enough to reach the gateway, not only node:http's parser.
    expect(handled).toBeGreaterThan(0);
    await expectStillServing(origin());
  });
});
