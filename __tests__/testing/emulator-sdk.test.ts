/**
 * The real AWS SDK for JavaScript v3 against the emulator: every operation with SigV4 and with a Bedrock API
 * key, and every injected error surfacing as the SDK's own exception class.
 */
import {
  AccessDeniedException,
  ApplyGuardrailCommand,
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InternalServerException,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelNotReadyException,
  ModelStreamErrorException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { runtimeClientOn } from '../support/emulator-clients';
import {
  CONVERSE_STREAM_EXCEPTION_TYPES,
  EMULATOR_API_KEY,
  INVOKE_STREAM_EXCEPTION_TYPES,
  startBedrockEmulator,
  type BedrockEmulator,
  type BedrockErrorType,
  type StreamExceptionType,
} from '../../lib/testing';
import { ANTHROPIC_BODY, CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';

const PROFILE_ARN = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0';

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator({ replyText: 'Hello there, friend.' });
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

function sigv4Client(): BedrockRuntimeClient {
  return runtimeClientOn(emulator, { region: 'us-east-1' });
}

function bearerClient(token = EMULATOR_API_KEY): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: emulator.url,
    token: { token },
    authSchemePreference: ['httpBearerAuth'],
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

const clients = [
  ['SigV4', sigv4Client, 'sigv4'],
  ['a Bedrock API key', () => bearerClient(), 'bearer'],
] as const;

async function collectConverseStream(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<ConverseStreamOutput[]> {
  const events: ConverseStreamOutput[] = [];
  for await (const event of stream ?? []) events.push(event);
  return events;
}

describe.each(clients)('the AWS SDK with %s completes', (_label, makeClient, scheme) => {
  it('InvokeModel, with an Anthropic Messages body and token headers', async () => {
    const response = await makeClient().send(
      new InvokeModelCommand({ modelId: CLAUDE_ID, body: ANTHROPIC_BODY, contentType: 'application/json' }),
    );
    const body = JSON.parse(Buffer.from(response.body).toString('utf8')) as {
      type: string;
      content: Array<{ text: string }>;
      usage: { input_tokens: number; output_tokens: number };
    };
    expect(body.type).toBe('message');
    expect(body.content[0]?.text).toBe('Hello there, friend.');
    expect(body.usage.output_tokens).toBe(3);
    const request = emulator.requests[0];
    expect(request?.url).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke');
    expect(request?.modelId).toBe(CLAUDE_ID);
    expect(request?.auth).toMatchObject({ scheme, accepted: true });
    expect(response.$metadata.httpStatusCode).toBe(200);
  });

  it('InvokeModelWithResponseStream, ending with the invocation metrics', async () => {
    const response = await makeClient().send(
      new InvokeModelWithResponseStreamCommand({ modelId: CLAUDE_ID, body: ANTHROPIC_BODY, contentType: 'application/json' }),
    );
    const events: Array<Record<string, unknown>> = [];
    for await (const part of response.body ?? []) {
      events.push(JSON.parse(Buffer.from(part.chunk?.bytes ?? []).toString('utf8')) as Record<string, unknown>);
    }
    expect(events.map((event) => event['type'])).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events.at(-1)?.['amazon-bedrock-invocationMetrics']).toMatchObject({ outputTokenCount: 3 });
  });

  it('Converse, with usage', async () => {
    const response = await makeClient().send(new ConverseCommand({ modelId: CLAUDE_ID, messages: MESSAGES }));
    expect(response.output?.message?.content?.[0]?.text).toBe('Hello there, friend.');
    expect(response.stopReason).toBe('end_turn');
    expect(response.usage).toMatchObject({ outputTokens: 3 });
    expect(response.usage?.totalTokens).toBe((response.usage?.inputTokens ?? 0) + 3);
  });

  it('ConverseStream, ending with the metadata event', async () => {
    const response = await makeClient().send(new ConverseStreamCommand({ modelId: PROFILE_ARN, messages: MESSAGES }));
    const events = await collectConverseStream(response.stream);
    expect(events.map((event) => Object.keys(event).find((key) => key !== '$unknown'))).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    expect(events.map((event) => event.contentBlockDelta?.delta?.text ?? '').join('')).toBe('Hello there, friend.');
    expect(events.at(-1)?.metadata?.usage).toMatchObject({ outputTokens: 3 });
    expect(emulator.requests[0]?.modelId).toBe(PROFILE_ARN);
    expect(emulator.requests[0]?.url).toContain('inference-profile%2Fus.anthropic');
  });

  it('CountTokens and ApplyGuardrail', async () => {
    const client = makeClient();
    const counted = await client.send(
      new CountTokensCommand({ modelId: CLAUDE_ID, input: { converse: { messages: MESSAGES } } }),
    );
    expect(counted.inputTokens).toBeGreaterThan(0);
    const guarded = await client.send(
      new ApplyGuardrailCommand({
        guardrailIdentifier: 'gr-123',
        guardrailVersion: '1',
        source: 'INPUT',
        content: [{ text: { text: 'hello' } }],
      }),
    );
    expect(guarded.action).toBe('NONE');
    expect(emulator.requests[1]?.url).toBe('/guardrail/gr-123/version/1/apply');
  });
});

const ERROR_CLASSES: Array<[BedrockErrorType, number, new (...args: never[]) => Error]> = [
  ['ValidationException', 400, ValidationException],
  ['AccessDeniedException', 403, AccessDeniedException],
  ['ResourceNotFoundException', 404, ResourceNotFoundException],
  ['ModelTimeoutException', 408, ModelTimeoutException],
  ['ThrottlingException', 429, ThrottlingException],
  ['ModelNotReadyException', 429, ModelNotReadyException],
  ['InternalServerException', 500, InternalServerException],
  ['ServiceUnavailableException', 503, ServiceUnavailableException],
];

describe('injected errors reach the SDK as its own exception classes', () => {
  it.each(ERROR_CLASSES)('%s (%d)', async (type, status, errorClass) => {
    emulator.inject({ error: { type, message: `injected ${type}` }, times: 2 });
    const converse = sigv4Client().send(new ConverseCommand({ modelId: CLAUDE_ID, messages: MESSAGES }));
    await expect(converse).rejects.toBeInstanceOf(errorClass);
    await expect(converse).rejects.toMatchObject({ message: `injected ${type}`, $metadata: { httpStatusCode: status } });
    const streamed = bearerClient().send(
      new InvokeModelWithResponseStreamCommand({ modelId: CLAUDE_ID, body: ANTHROPIC_BODY }),
    );
    await expect(streamed).rejects.toBeInstanceOf(errorClass);
  });

  const STREAM_ERROR_CLASSES: Record<StreamExceptionType, new (...args: never[]) => Error> = {
    throttlingException: ThrottlingException,
    serviceUnavailableException: ServiceUnavailableException,
    internalServerException: InternalServerException,
    modelStreamErrorException: ModelStreamErrorException,
    modelTimeoutException: ModelTimeoutException,
    validationException: ValidationException,
  };
  const withClass = (type: StreamExceptionType) => [type, STREAM_ERROR_CLASSES[type]] as const;

  it.each(CONVERSE_STREAM_EXCEPTION_TYPES.map(withClass))('mid-stream %s on ConverseStream', async (type, errorClass) => {
    emulator.inject({ streamException: { type, message: `mid-stream ${type}`, afterFrames: 2 } });
    const response = await sigv4Client().send(new ConverseStreamCommand({ modelId: CLAUDE_ID, messages: MESSAGES }));
    const seen: ConverseStreamOutput[] = [];
    const reading = (async () => {
      for await (const event of response.stream ?? []) seen.push(event);
    })();
    await expect(reading).rejects.toBeInstanceOf(errorClass);
    await expect(reading).rejects.toMatchObject({ message: `mid-stream ${type}` });
    expect(seen).toHaveLength(2);
  });

  it.each(INVOKE_STREAM_EXCEPTION_TYPES.map(withClass))('mid-stream %s on InvokeModelWithResponseStream', async (type, errorClass) => {
    emulator.inject({ streamException: { type, afterFrames: 1 } });
    const response = await bearerClient().send(
      new InvokeModelWithResponseStreamCommand({ modelId: CLAUDE_ID, body: ANTHROPIC_BODY }),
    );
    const reading = (async () => {
      for await (const part of response.body ?? []) expect(part.chunk).toBeDefined();
    })();
    await expect(reading).rejects.toBeInstanceOf(errorClass);
  });
});
