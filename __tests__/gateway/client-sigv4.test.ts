/**
 * Clients that sign with SigV4, end to end: the real AWS SDK with a gateway key's `access_key_id` /
 * `secret_access_key` as its credentials, over HTTP/1.1, against the gateway mounted at an unusual path, in Express
 * and on a bare `node:http` server; and raw requests for what an SDK never sends (replays, repeated headers).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  ListAsyncInvokesCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import express from 'express';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBedrockHandler } from '../../lib/handler';
import { EMULATOR_CREDENTIALS, startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import type { PassthroughOptions } from '../../lib/types';
import { ANTHROPIC_BODY, CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn, startGateway, type RunningGateway } from '../support/gateway';

const PROFILE_ARN = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';
const TEAM = { accessKeyId: 'GWTEAMA0000000000001', secretAccessKey: 'team-a/sigv4/secret' };
const OTHER_TEAM = { accessKeyId: 'GWTEAMB0000000000002', secretAccessKey: 'team-b/sigv4/secret' };
const MOUNT = '/internal/ai/bedrock-gw';

let emulator: BedrockEmulator;
let gateway: RunningGateway;

function options(): PassthroughOptions {
  return {
    model_list: [deploymentOn(emulator, 'claude', CLAUDE_ID), deploymentOn(emulator, 'claude-profile', CLAUDE_ID, { model_id: PROFILE_ARN })],
    bedrock_settings: {
      aws_region_name: emulator.region,
      aws_bedrock_runtime_endpoint: emulator.url,
      aws_access_key_id: EMULATOR_CREDENTIALS.accessKeyId,
      aws_secret_access_key: EMULATOR_CREDENTIALS.secretAccessKey,
    },
    general_settings: { master_key: MASTER_KEY },
    keys: [
      { name: 'team-a', access_key_id: TEAM.accessKeyId, secret_access_key: TEAM.secretAccessKey },
      { name: 'team-b', access_key_id: OTHER_TEAM.accessKeyId, secret_access_key: OTHER_TEAM.secretAccessKey },
    ],
  };
}

beforeAll(async () => {
  emulator = await startBedrockEmulator();
  gateway = await startGateway(options(), { mount: MOUNT });
});
afterAll(async () => {
  await gateway.close();
  await emulator.close();
});
beforeEach(() => emulator.reset());

/** The SDK as an older client uses it: AWS credentials, SigV4, HTTP/1.1. */
function signingClient(endpoint: string, credentials = TEAM, extra: Partial<ConstructorParameters<typeof BedrockRuntimeClient>[0]> = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ region: 'ap-south-1', endpoint, credentials, requestHandler: new NodeHttpHandler(), maxAttempts: 1, ...extra });
}

describe('the AWS SDK signing with a key’s credentials', () => {
  it('Converse and ConverseStream with a model id holding ":", through a mount path of three segments', async () => {
    const client = signingClient(gateway.url);
    const answer = await client.send(new ConverseCommand({ modelId: CLAUDE_ID, messages: MESSAGES }));
    expect(answer.output?.message?.content?.[0]?.text).toBe('Hello from the Bedrock emulator. This answer is canned.');
    const stream = await client.send(new ConverseStreamCommand({ modelId: 'claude', messages: MESSAGES }));
    const kinds: string[] = [];
    for await (const event of stream.stream ?? []) kinds.push(Object.keys(event)[0] as string);
    expect(kinds.at(-1)).toBe('metadata');
    // Upstream, the gateway signed afresh with the deployment's credentials: the client's signature stayed behind.
    expect(emulator.requests.map((request) => request.auth?.accessKeyId)).toEqual([EMULATOR_CREDENTIALS.accessKeyId, EMULATOR_CREDENTIALS.accessKeyId]);
  });

  it('InvokeModel naming an application inference profile ARN (":" and "/" in one segment)', async () => {
    const response = await signingClient(gateway.url).send(new InvokeModelCommand({ modelId: PROFILE_ARN, body: ANTHROPIC_BODY }));
    expect(response.$metadata.httpStatusCode).toBe(200);
    expect(emulator.requests[0]?.url).toBe(`/model/${encodeURIComponent(PROFILE_ARN)}/invoke`);
  });

  it('ListAsyncInvokes, whose signature covers a query string', async () => {
    await signingClient(gateway.url).send(new ListAsyncInvokesCommand({ maxResults: 3, sortOrder: 'Descending', submitTimeAfter: new Date('2026-01-01T00:00:00Z') }));
    expect(emulator.requests[0]?.url).toMatch(/^\/async-invoke\?/);
  });

  it("refuses another key's secret under this key's id, an unknown key id, and a clock more than 5 minutes off", async () => {
    const forged = signingClient(gateway.url, { accessKeyId: TEAM.accessKeyId, secretAccessKey: OTHER_TEAM.secretAccessKey });
    await expect(forged.send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 403 },
    });
    const stranger = signingClient(gateway.url, { accessKeyId: 'AKIASTRANGER00000000', secretAccessKey: 'x' });
    await expect(stranger.send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    const late = signingClient(gateway.url, TEAM, { systemClockOffset: -6 * 60_000 });
    await expect(late.send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/^Signature expired/),
    });
    expect(emulator.requests).toEqual([]);
  });

  it('with default retries, the SDK corrects a skewed clock from the refusal and gets through', async () => {
    const late = signingClient(gateway.url, TEAM, { systemClockOffset: -6 * 60_000, maxAttempts: 2 });
    await expect(late.send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }))).resolves.toBeDefined();
  });

  it('works when the host parsed the body first, if it kept the raw bytes', async () => {
    const parsedFirst = await startGateway(options(), {
      mount: '/bedrock',
      before: (app) => app.use(express.json({ verify: (req, _res, raw) => Object.assign(req, { rawBody: raw }) })),
    });
    try {
      await expect(signingClient(parsedFirst.url).send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }))).resolves.toBeDefined();
    } finally {
      await parsedFirst.close();
    }
  });

  it('works with the bare handler on node:http under its mount path', async () => {
    const handler = createBedrockHandler({ ...options(), mountPath: '/gw' });
    const server = createServer(handler).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gw`;
      await expect(signingClient(endpoint).send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }))).resolves.toBeDefined();
    } finally {
      server.closeAllConnections();
      server.close();
      await handler.close();
    }
  });
});

/** Signs a request as the SDK would, for raw sending. */
async function signed(path: string, body: string, headers: Record<string, string> = {}, credentials = TEAM): Promise<Record<string, string>> {
  const { host } = new URL(gateway.url);
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'bedrock', sha256: Sha256, uriEscapePath: true });
  const request = await signer.sign({ method: 'POST', protocol: 'http:', hostname: host, path, query: {}, headers: { host, 'content-type': 'application/json', ...headers }, body });
  return request.headers;
}

/** Sends a request with exactly these header lines (a name given twice is two lines). */
function send(path: string, headerLines: Array<[string, string]>, body: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${new URL(gateway.url).origin}${path}`, { method: 'POST', path, headers: headerLines.flat() }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('raw signed requests', () => {
  const path = `${MOUNT}/model/${encodeURIComponent(CLAUDE_ID)}/converse`;
  const body = JSON.stringify({ messages: MESSAGES });

  it('refuses the same signed request sent twice', async () => {
    const lines = Object.entries(await signed(path, body));
    expect((await send(path, lines, body)).status).toBe(200);
    const replay = await send(path, lines, body);
    expect({ status: replay.status, type: replay.headers['x-amzn-errortype'], body: JSON.parse(replay.body) }).toEqual({
      status: 403,
      type: 'InvalidSignatureException',
      body: { message: 'This signature was already used: sign every request afresh (AWS SDKs do).' },
    });
    expect(emulator.requests).toHaveLength(1);
  });

  it('verifies a header sent on two lines, which AWS signs as its values joined with a comma', async () => {
    const headers = await signed(path, body, { 'x-amzn-bedrock-trace': 'ENABLED,ENABLED_FULL' });
    const lines: Array<[string, string]> = Object.entries(headers).filter(([name]) => name !== 'x-amzn-bedrock-trace');
    lines.push(['x-amzn-bedrock-trace', 'ENABLED'], ['x-amzn-bedrock-trace', 'ENABLED_FULL']);
    expect((await send(path, lines, body)).status).toBe(200);
  });

  it('refuses a signed request whose body was changed on the way', async () => {
    const lines = Object.entries(await signed(path, body));
    const tampered = body.replace('Say hello', 'Say goodbye');
    const response = await send(path, lines.filter(([name]) => name !== 'content-length'), tampered);
    expect({ status: response.status, type: response.headers['x-amzn-errortype'] }).toEqual({ status: 403, type: 'InvalidSignatureException' });
  });
});
