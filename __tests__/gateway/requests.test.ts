/** What the gateway refuses, whom it lets in, and which headers cross it. */
import request from 'supertest';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MASTER_KEY, deploymentOn, post, startGateway, type RunningGateway } from '../support/gateway';

const CONVERSE_BODY = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
const JSON_HEADERS = { 'content-type': 'application/json' };

let emulator: BedrockEmulator;
let gateway: RunningGateway;

beforeAll(async () => {
  emulator = await startBedrockEmulator();
  gateway = await startGateway({
    model_list: [
      deploymentOn(emulator, 'claude', 'anthropic.claude-3-5-sonnet-20240620-v1:0'),
      deploymentOn(emulator, 'nova', 'amazon.nova-lite-v1:0'),
    ],
    general_settings: { master_key: MASTER_KEY, key_header_name: 'X-Gateway-Key', max_request_size_mb: 0.01 },
    bedrock_settings: { forward_headers: ['X-Team'] },
    keys: [{ key: 'sk-team-a', name: 'team-a', models: ['claude'], operations: ['converse', 'converse-stream'] }],
  });
});
afterAll(async () => {
  await gateway.close();
  await emulator.close();
});
beforeEach(() => emulator.reset());

/** A Bedrock-shaped error: status, x-amzn-ErrorType, {"message"}. */
function expectBedrockError(response: request.Response, status: number, type: string, message?: RegExp): void {
  expect(response.status).toBe(status);
  expect(response.headers['x-amzn-errortype']).toBe(type);
  expect(response.headers['content-type']).toBe('application/json');
  expect(Object.keys(response.body as object)).toEqual(['message']);
  if (message) expect((response.body as { message: string }).message).toMatch(message);
  expect(response.headers['x-bedrock-passthrough-request-id']).toMatch(/^[0-9a-f-]{36}$/);
}

const converse = (path = '/bedrock/model/claude/converse') =>
  request(gateway.app).post(path).set(JSON_HEADERS).set('authorization', `Bearer ${MASTER_KEY}`);

describe('bad requests get Bedrock-shaped errors and no upstream call', () => {
  afterEach(() => expect(emulator.requests).toHaveLength(0));

  it('an unknown operation', async () => {
    expectBedrockError(await converse('/bedrock/model/claude/summon').send('{}'), 404, 'UnknownOperationException');
    expectBedrockError(await converse('/bedrock/nothing-here').send('{}'), 404, 'UnknownOperationException');
  });

  it('a wrong method', async () => {
    const response = await request(gateway.app).get('/bedrock/model/claude/converse').set('authorization', `Bearer ${MASTER_KEY}`);
    expectBedrockError(response, 405, 'UnknownOperationException', /use POST/);
    expect(response.headers['allow']).toBe('POST');
  });

  it('an unknown model', async () => {
    const response = await converse('/bedrock/model/gpt-5/converse').send(CONVERSE_BODY);
    expectBedrockError(response, 400, 'ValidationException', /^The provided model identifier is invalid/);
  });

  it('a model segment with broken percent-encoding', async () => {
    expectBedrockError(await converse('/bedrock/model/claude%E0%A4%A/converse').send(CONVERSE_BODY), 400, 'ValidationException');
  });

  it.each([
    ['not JSON', '{"messages": ['],
    ['a JSON array', '[1, 2]'],
    ['empty', ''],
  ])('a Converse body that is %s', async (_label, body) => {
    expectBedrockError(await converse().send(body), 400, 'ValidationException', /Malformed input request/);
  });

  it('a body over the size limit, refused from its content-length', async () => {
    const response = await converse().send(JSON.stringify({ messages: [], pad: 'x'.repeat(20_000) }));
    expectBedrockError(response, 413, 'ValidationException', /exceeds this gateway's limit of 10485 bytes/);
  });

  it('a chunked body over the size limit', async () => {
    const big = Buffer.from(JSON.stringify({ messages: [], pad: 'x'.repeat(20_000) }));
    const response = await fetch(`${gateway.url}/model/claude/converse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, ...JSON_HEADERS },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(big.subarray(0, 8000));
          controller.enqueue(big.subarray(8000));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });
});

describe('client keys', () => {
  it('refuses a request without a key, and one with a wrong key, with AccessDeniedException', async () => {
    const missing = await request(gateway.app).post('/bedrock/model/claude/converse').set(JSON_HEADERS).send(CONVERSE_BODY);
    expectBedrockError(missing, 403, 'AccessDeniedException', /Missing API key: send it in the X-Gateway-Key header/);
    const wrong = await request(gateway.app)
      .post('/bedrock/model/claude/converse')
      .set(JSON_HEADERS)
      .set('authorization', 'Bearer sk-guess')
      .send(CONVERSE_BODY);
    expectBedrockError(wrong, 403, 'AccessDeniedException', /^The API key is not valid\.$/);
    expect(JSON.stringify(wrong.body)).not.toContain('sk-guess');
    expect(emulator.requests).toHaveLength(0);
  });

  it.each([
    ['Authorization: Bearer', { authorization: 'Bearer sk-team-a' }],
    ['x-api-key', { 'x-api-key': 'sk-team-a' }],
    ['the configured header', { 'x-gateway-key': 'sk-team-a' }],
    ['x-api-key beside a client SigV4 signature', { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00', 'x-api-key': 'sk-team-a' }],
  ])('accepts a key sent in %s', async (_label, headers) => {
    const response = await request(gateway.app).post('/bedrock/model/claude/converse').set(JSON_HEADERS).set(headers).send(CONVERSE_BODY);
    expect(response.status).toBe(200);
  });

  it('checks the configured header first', async () => {
    const response = await request(gateway.app)
      .post('/bedrock/model/claude/converse')
      .set(JSON_HEADERS)
      .set({ 'x-gateway-key': 'sk-wrong', authorization: `Bearer ${MASTER_KEY}` })
      .send(CONVERSE_BODY);
    expectBedrockError(response, 403, 'AccessDeniedException');
  });

  it('refuses a model or an operation the key may not use, before any upstream call', async () => {
    const model = await request(gateway.app).post('/bedrock/model/nova/converse').set(JSON_HEADERS).set('x-api-key', 'sk-team-a').send(CONVERSE_BODY);
    expectBedrockError(model, 403, 'AccessDeniedException', /may not use model 'nova'/);
    const operation = await request(gateway.app).post('/bedrock/model/claude/invoke').set(JSON_HEADERS).set('x-api-key', 'sk-team-a').send('{}');
    expectBedrockError(operation, 403, 'AccessDeniedException', /may not call invoke/);
    expect(emulator.requests).toHaveLength(0);
  });

  it('lets the master key use every model and operation', async () => {
    expect((await post(gateway, '/model/nova/invoke', '{"inputText":"hi"}')).status).toBe(200);
  });
});

describe('headers', () => {
  it('forwards Bedrock’s and allowed headers, and nothing that carries identity', async () => {
    const response = await post(gateway, '/model/claude/converse', CONVERSE_BODY, {
      ...JSON_HEADERS,
      'x-gateway-key': MASTER_KEY,
      authorization: 'Bearer sk-someone-else',
      'x-api-key': 'sk-another',
      cookie: 'session=secret',
      'x-amz-date': '20200101T000000Z',
      'x-amz-security-token': 'client-token',
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      'accept-encoding': 'gzip, br',
      accept: 'application/json',
      'x-amzn-bedrock-trace': 'ENABLED',
      'x-amzn-bedrock-guardrailidentifier': 'gr-1',
      'x-team': 'search',
      'x-pass-x-correlation-id': 'abc-123',
      'x-pass-authorization': 'Bearer smuggled',
      'x-other': 'dropped',
    });
    expect(response.status).toBe(200);
    const [upstream] = emulator.requests;
    const sent = upstream?.headers ?? {};
    expect(upstream?.auth).toMatchObject({ scheme: 'sigv4', accepted: true });
    expect(sent).toMatchObject({
      accept: 'application/json',
      'x-amzn-bedrock-trace': 'ENABLED',
      'x-amzn-bedrock-guardrailidentifier': 'gr-1',
      'x-team': 'search',
      'x-correlation-id': 'abc-123',
    });
    expect(sent['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAEMULATOR0000TEST\//);
    expect(sent['x-amz-date']).not.toBe('20200101T000000Z');
    for (const name of ['x-api-key', 'x-gateway-key', 'cookie', 'x-amz-security-token', 'accept-encoding', 'x-other', 'x-pass-x-correlation-id']) {
      expect([name, sent[name]]).toEqual([name, undefined]);
    }
    expect(JSON.stringify(sent)).not.toMatch(/sk-someone-else|sk-another|smuggled|session=secret/);
    expect(JSON.stringify(sent)).not.toContain(MASTER_KEY);
  });
});

describe('mounting', () => {
  it.each(['/bedrock', '/api/v1/llm', '/'])('serves under %s', async (mount) => {
    const other = await startGateway(
      { model_list: [deploymentOn(emulator, 'claude', 'anthropic.claude-3-5-sonnet-20240620-v1:0')], general_settings: { master_key: MASTER_KEY } },
      { mount },
    );
    try {
      const response = await post(other, '/model/claude/converse', CONVERSE_BODY);
      expect(response.status).toBe(200);
      expect(emulator.requests.at(-1)?.url).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    } finally {
      await other.close();
    }
  });
});
