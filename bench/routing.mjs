// @ts-check
/**
 * Routing under failure: three deployments of one model in three regions, one of which fails half of its calls
 * (503 ServiceUnavailableException, at random). Measures the share of client requests that succeed (target: all of
 * them, since two deployments stay healthy) and the attempts they took, through the real gateway on loopback.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createBedrockHandler } from '../dist/index.js';
import { EMULATOR_CREDENTIALS, startBedrockEmulator } from '../dist/testing/index.js';

const KEY = 'sk-bench';
const BODY = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }] });

/** @param {{ requests: number, concurrency: number }} options */
export async function benchRouting({ requests, concurrency }) {
  const regions = ['us-east-1', 'us-west-2', 'eu-west-1'];
  const emulators = await Promise.all(regions.map((region) => startBedrockEmulator({ region })));
  const failing = emulators[0];
  if (!failing) throw new Error('no emulator');
  failing.inject({ error: { type: 'ServiceUnavailableException' }, probability: 0.5, times: Infinity });
  const handler = createBedrockHandler({
    model_list: emulators.map((emulator, index) => ({
      model_name: 'claude',
      litellm_params: {
        model: 'bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0',
        aws_region_name: emulator.region,
        aws_bedrock_runtime_endpoint: emulator.url,
        aws_access_key_id: EMULATOR_CREDENTIALS.accessKeyId,
        aws_secret_access_key: EMULATOR_CREDENTIALS.secretAccessKey,
      },
      model_info: { id: `d${index}` },
    })),
    general_settings: { master_key: KEY },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const url = `http://127.0.0.1:${address.port}/model/claude/converse`;

  let succeeded = 0;
  let attempts = 0;
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      next++;
      const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: BODY });
      await response.arrayBuffer();
      if (response.status === 200) succeeded++;
      attempts += Number(response.headers.get('x-bedrock-passthrough-attempts') ?? 0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const failedUpstream = failing.requests.filter((request) => request.status === 503).length;

  server.close();
  await handler.close();
  await Promise.all(emulators.map((emulator) => emulator.close()));
  const share = succeeded / requests;
  return [
    {
      scenario: 'routing: 1 of 3 deployments failing 50%',
      unit: '%',
      oursText: `${(share * 100).toFixed(1)}% ok`,
      referenceText: `${failedUpstream} upstream 503s`,
      ratioText: `${(attempts / requests).toFixed(2)} att.`,
      targetText: '100% ok',
      verdict: share === 1 ? 'PASS' : 'MISS',
      requests,
      succeeded,
      attemptsPerRequest: attempts / requests,
      upstreamFailures: failedUpstream,
    },
  ];
}
