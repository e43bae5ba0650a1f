/** The emulator's authentication checks, scripted faults, validation and request records. */
import {
  AccessDeniedException,
  type BedrockRuntimeClientConfig,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { runtimeClientOn } from '../support/emulator-clients';
import { signRequest, type AwsCredentials } from '../../lib/aws/sigv4';
import { EMULATOR_API_KEY, EMULATOR_CREDENTIALS, startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';

const MODEL = 'amazon.nova-lite-v1:0';
const MESSAGES = [{ role: 'user' as const, content: [{ text: 'Hi' }] }];
const CONVERSE_BODY = JSON.stringify({ messages: MESSAGES });

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

function client(overrides: Partial<BedrockRuntimeClientConfig> = {}, target = emulator) {
  return runtimeClientOn(target, overrides);
}

function converse(c = client()) {
  return c.send(new ConverseCommand({ modelId: MODEL, messages: MESSAGES }));
}

/** A raw request signed by our own signer, optionally with a body other than the one signed. */
function signedFetch(
  path: string,
  body: string,
  options: { credentials?: AwsCredentials; sentBody?: string; query?: string } = {},
): Promise<Response> {
  const host = new URL(emulator.url).host;
  const headers = { 'content-type': 'application/json' };
  const signed = signRequest(
    { method: 'POST', host, path, query: options.query, headers, body },
    { credentials: options.credentials ?? EMULATOR_CREDENTIALS, region: 'us-east-1' },
  );
  const url = `${emulator.url}${path}${options.query ? `?${options.query}` : ''}`;
  return fetch(url, { method: 'POST', headers: { ...headers, ...signed }, body: options.sentBody ?? body });
}

function bearerFetch(path: string, body: string, method = 'POST'): Promise<Response> {
  return fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${EMULATOR_API_KEY}`, 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : body,
  });
}

async function expectBedrockError(response: Response, status: number, type: string, message?: string | RegExp) {
  expect(response.status).toBe(status);
  expect(response.headers.get('x-amzn-errortype')?.split(':')[0]).toBe(type);
  const body = (await response.json()) as { message: string };
  if (message) expect(body.message).toMatch(message);
}

describe('SigV4 verification (by the reference signer)', () => {
  it('accepts a request signed by our signer, with ":" in the model id and a query string', async () => {
    const response = await signedFetch(`/model/${encodeURIComponent(MODEL)}/converse`, CONVERSE_BODY, {
      query: 'trace=on&b=%2F',
    });
    expect(response.status).toBe(200);
    expect(emulator.requests[0]?.auth).toMatchObject({ scheme: 'sigv4', accepted: true, accessKeyId: EMULATOR_CREDENTIALS.accessKeyId });
  });

  it('refuses a body other than the one signed', async () => {
    const response = await signedFetch(`/model/${encodeURIComponent(MODEL)}/converse`, CONVERSE_BODY, {
      sentBody: CONVERSE_BODY.replace('Hi', 'Ho'),
    });
    await expectBedrockError(response, 403, 'InvalidSignatureException', /signature we calculated does not match/);
  });

  it('refuses a wrong secret with InvalidSignatureException', async () => {
    const wrong = { ...EMULATOR_CREDENTIALS, secretAccessKey: 'not-the-secret' };
    await expect(converse(client({ credentials: wrong }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 403 },
    });
    expect(emulator.requests[0]?.auth).toMatchObject({ scheme: 'sigv4', accepted: false, errorType: 'InvalidSignatureException' });
  });

  it('refuses an unknown key id with UnrecognizedClientException', async () => {
    const unknown = { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' };
    await expect(converse(client({ credentials: unknown }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  });

  it('refuses a signature scoped to another region', async () => {
    await expect(converse(client({ region: 'eu-west-1' }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringContaining("valid region, not 'eu-west-1'"),
    });
  });

  it.each([
    [+10, 'Signature expired'],
    [-10, 'Signature not yet current'],
  ])('refuses a signature made with a clock %d minutes off', async (minutesAhead, message) => {
    const skewed = await startBedrockEmulator({ clock: () => new Date(Date.now() + minutesAhead * 60_000) });
    try {
      await expect(converse(client({}, skewed))).rejects.toMatchObject({
        name: 'InvalidSignatureException',
        message: expect.stringContaining(message),
      });
    } finally {
      await skewed.close();
    }
  });

  it('checks session tokens of temporary credentials', async () => {
    const temporary = { accessKeyId: 'ASIATEMPORARY', secretAccessKey: 'temp-secret', sessionToken: 'the-token' };
    const sts = await startBedrockEmulator({ credentials: [temporary] });
    try {
      await expect(converse(client({ credentials: temporary }, sts))).resolves.toMatchObject({ stopReason: 'end_turn' });
      expect(sts.requests[0]?.headers['x-amz-security-token']).toBe('the-token');
      await expect(
        converse(client({ credentials: { ...temporary, sessionToken: 'stolen-token' } }, sts)),
      ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
      await expect(
        converse(client({ credentials: { accessKeyId: temporary.accessKeyId, secretAccessKey: temporary.secretAccessKey } }, sts)),
      ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    } finally {
      await sts.close();
    }
  });
});

describe('other authentication', () => {
  it('refuses a wrong Bedrock API key as AccessDeniedException', async () => {
    const withWrongKey = client({ credentials: undefined, token: { token: 'ABSKwrong' }, authSchemePreference: ['httpBearerAuth'] });
    await expect(converse(withWrongKey)).rejects.toBeInstanceOf(AccessDeniedException);
  });

  it('refuses a request without credentials', async () => {
    const response = await fetch(`${emulator.url}/model/m/converse`, { method: 'POST', body: CONVERSE_BODY });
    await expectBedrockError(response, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  });

  it('accepts anything in auth "none" mode', async () => {
    const open = await startBedrockEmulator({ auth: 'none' });
    try {
      const response = await fetch(`${open.url}/model/m/converse`, { method: 'POST', body: CONVERSE_BODY });
      expect(response.status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('scripted behaviour', () => {
  it('fails the next N matching calls, and only those', async () => {
    emulator.inject({ match: { operation: 'converse' }, error: { type: 'ThrottlingException' }, times: 2 });
    await expect(converse()).rejects.toBeInstanceOf(ThrottlingException);
    const invoked = await client().send(new InvokeModelCommand({ modelId: MODEL, body: '{"inputText":"hi"}' }));
    expect(invoked.$metadata.httpStatusCode).toBe(200);
    await expect(converse()).rejects.toBeInstanceOf(ThrottlingException);
    await expect(converse()).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  it('matches by model id and sends retry-after', async () => {
    emulator.inject({ match: { modelId: 'other.model-v1:0' }, error: { type: 'ThrottlingException', retryAfterSeconds: 7 } });
    expect((await bearerFetch(`/model/${encodeURIComponent(MODEL)}/converse`, CONVERSE_BODY)).status).toBe(200);
    const throttled = await bearerFetch(`/model/${encodeURIComponent('other.model-v1:0')}/converse`, CONVERSE_BODY);
    expect(throttled.headers.get('retry-after')).toBe('7');
    await expectBedrockError(throttled, 429, 'ThrottlingException');
  });

  it('delays the first byte', async () => {
    emulator.inject({ firstByteDelayMs: 150 });
    const started = Date.now();
    await converse();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('paces stream frames', async () => {
    emulator.inject({ chunkDelayMs: 20, replyText: 'one two three four' });
    const started = Date.now();
    const response = await client().send(new ConverseStreamCommand({ modelId: MODEL, messages: MESSAGES }));
    let frames = 0;
    for await (const event of response.stream ?? []) if (event) frames += 1;
    expect(frames).toBe(8);
    expect(Date.now() - started).toBeGreaterThanOrEqual(7 * 20 - 10);
  });

  it('cuts the connection in the middle of a frame', async () => {
    emulator.inject({ cutConnection: { afterFrames: 2, midFrame: true } });
    const response = await client().send(new ConverseStreamCommand({ modelId: MODEL, messages: MESSAGES }));
    let frames = 0;
    const reading = (async () => {
      for await (const event of response.stream ?? []) if (event) frames += 1;
    })();
    await expect(reading).rejects.toThrow();
    expect(frames).toBe(2);
    expect(emulator.requests[0]?.outcome).toBe('connection-cut');
  });

  it('cuts the connection of a non-streamed call before answering', async () => {
    emulator.inject({ cutConnection: {} });
    await expect(converse()).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('sends a frame with a bad checksum', async () => {
    emulator.inject({ corruptFrame: { afterFrames: 1 } });
    const response = await client().send(new ConverseStreamCommand({ modelId: MODEL, messages: MESSAGES }));
    const reading = (async () => {
      for await (const event of response.stream ?? []) expect(event).toBeDefined();
    })();
    await expect(reading).rejects.toThrow(/checksum/);
  });

  it('reports the usage it is told, cache tokens included', async () => {
    emulator.inject({ usage: { inputTokens: 10, outputTokens: 4, cacheReadInputTokens: 100, cacheWriteInputTokens: 20 }, times: 2 });
    const conversed = await converse();
    expect(conversed.usage).toEqual({
      inputTokens: 10,
      outputTokens: 4,
      totalTokens: 134,
      cacheReadInputTokens: 100,
      cacheWriteInputTokens: 20,
    });
    const invoked = await bearerFetch(`/model/${encodeURIComponent(MODEL)}/invoke`, '{}');
    expect(invoked.headers.get('x-amzn-bedrock-cache-read-input-token-count')).toBe('100');
    expect(invoked.headers.get('x-amzn-bedrock-cache-write-input-token-count')).toBe('20');
    expect(invoked.headers.get('x-amzn-bedrock-input-token-count')).toBe('10');
  });

  it('records the client going away', async () => {
    emulator.inject({ firstByteDelayMs: 2000 });
    const abort = new AbortController();
    const call = client().send(new ConverseCommand({ modelId: MODEL, messages: MESSAGES }), { abortSignal: abort.signal });
    while (emulator.requests.length === 0 || emulator.requests[0]?.auth === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    abort.abort();
    await expect(call).rejects.toThrow();
    while (emulator.requests[0]?.outcome === 'pending') await new Promise((resolve) => setTimeout(resolve, 5));
    expect(emulator.requests[0]?.outcome).toBe('client-aborted');
  });
});

describe('validation and records', () => {
  it('records method, target, headers, body and outcome', async () => {
    await converse();
    const [request] = emulator.requests;
    expect(request).toMatchObject({ method: 'POST', operation: 'converse', modelId: MODEL, status: 200, outcome: 'completed' });
    expect(request?.url).toBe('/model/amazon.nova-lite-v1%3A0/converse');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body.toString('utf8') ?? '')).toEqual({ messages: MESSAGES });
  });

  it('refuses models it does not know when given a list', async () => {
    const strict = await startBedrockEmulator({ models: [MODEL] });
    try {
      await expect(converse(client({}, strict))).resolves.toBeDefined();
      const unknown = client({}, strict).send(new ConverseCommand({ modelId: 'made.up-v1:0', messages: MESSAGES }));
      await expect(unknown).rejects.toBeInstanceOf(ValidationException);
      await expect(unknown).rejects.toMatchObject({ message: 'The provided model identifier is invalid.' });
    } finally {
      await strict.close();
    }
  });

  it('refuses malformed JSON, unknown operations and wrong methods', async () => {
    await expectBedrockError(await bearerFetch('/model/m/converse', '{not json'), 400, 'ValidationException', /Malformed input request/);
    await expectBedrockError(await bearerFetch('/model/m/converse', '{"system":[]}'), 400, 'ValidationException', /messages/);
    await expectBedrockError(await bearerFetch('/model/m/summon', '{}'), 404, 'UnknownOperationException');
    await expectBedrockError(await bearerFetch('/model/m/converse', '', 'GET'), 404, 'UnknownOperationException');
  });

  it('refuses a body over its limit with 413', async () => {
    const small = await startBedrockEmulator({ maxBodyBytes: 1024 });
    try {
      const response = await fetch(`${small.url}/model/m/invoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${EMULATOR_API_KEY}` },
        body: 'x'.repeat(4096),
      });
      await expectBedrockError(response, 413, 'ValidationException', /exceeds 1024 bytes/);
    } finally {
      await small.close();
    }
  });

  it('intervenes on guardrail words', async () => {
    const guarded = await startBedrockEmulator({ guardrailBlockedWords: ['forbidden'] });
    try {
      const body = JSON.stringify({ source: 'INPUT', content: [{ text: { text: 'a Forbidden topic' } }] });
      const response = await fetch(`${guarded.url}/guardrail/g1/version/DRAFT/apply`, {
        method: 'POST',
        headers: { authorization: `Bearer ${EMULATOR_API_KEY}` },
        body,
      });
      expect(await response.json()).toMatchObject({ action: 'GUARDRAIL_INTERVENED', outputs: [{ text: expect.any(String) }] });
    } finally {
      await guarded.close();
    }
  });
});

describe('behaviours by chance', () => {
  it('apply to about the given share of calls, and skipped calls do not use them up', async () => {
    emulator.inject({ error: { type: 'ServiceUnavailableException' }, probability: 0.5, times: Infinity });
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () => bearerFetch(`/model/${encodeURIComponent(MODEL)}/converse`, CONVERSE_BODY).then((response) => response.status)),
    );
    const failed = statuses.filter((status) => status === 503).length;
    // 100 expected; the bounds are five standard deviations wide.
    expect(failed).toBeGreaterThan(64);
    expect(failed).toBeLessThan(136);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
  });

  it('refuse a probability outside (0, 1]', () => {
    expect(() => emulator.inject({ probability: 0 })).toThrow(expect.objectContaining({ name: 'RangeError' }));
    expect(() => emulator.inject({ probability: 1.5 })).toThrow(expect.objectContaining({ name: 'RangeError' }));
  });
});
