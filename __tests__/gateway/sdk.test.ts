/**
 * The product's promise: the real AWS SDK, pointed at a host app with the gateway mounted, completes every
 * runtime operation against Bedrock (the emulator), with model ids holding ':' and ARNs holding '/'.
 */
import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelStreamErrorException,
  ThrottlingException,
  ValidationException,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { EventStreamDecoder } from '../../lib/aws/eventstream';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MASTER_KEY, deploymentOn, post, sdkClient, startGateway, type RunningGateway } from '../support/gateway';
import { ANTHROPIC_BODY, anthropicEventTypes, CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';

const PROFILE_ARN = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';

let emulator: BedrockEmulator;
let gateway: RunningGateway;

beforeAll(async () => {
  emulator = await startBedrockEmulator({ replyText: 'Hello through the gateway.' });
  gateway = await startGateway({
    model_list: [
      deploymentOn(emulator, 'claude', CLAUDE_ID, {}, { id: 'claude-east' }),
      deploymentOn(emulator, 'claude-profile', CLAUDE_ID, { model_id: PROFILE_ARN }),
    ],
    general_settings: { master_key: MASTER_KEY },
  });
});
afterAll(async () => {
  await gateway.close();
  await emulator.close();
});
beforeEach(() => emulator.reset());

async function collect(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<ConverseStreamOutput[]> {
  const events: ConverseStreamOutput[] = [];
  for await (const event of stream ?? []) events.push(event);
  return events;
}

describe('the AWS SDK through the gateway', () => {
  it('InvokeModel by model name', async () => {
    const response = await sdkClient(gateway).send(new InvokeModelCommand({ modelId: 'claude', body: ANTHROPIC_BODY }));
    const body = JSON.parse(Buffer.from(response.body).toString()) as { content: Array<{ text: string }> };
    expect(body.content[0]?.text).toBe('Hello through the gateway.');
    const [upstream] = emulator.requests;
    expect(upstream?.url).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke');
    expect(upstream?.auth).toMatchObject({ scheme: 'sigv4', accepted: true });
    expect(upstream?.body.toString()).toBe(ANTHROPIC_BODY);
  });

  it('InvokeModelWithResponseStream', async () => {
    const response = await sdkClient(gateway).send(
      new InvokeModelWithResponseStreamCommand({ modelId: 'claude', body: ANTHROPIC_BODY }),
    );
    const types = await anthropicEventTypes(response.body);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
  });

  it('Converse by the real Bedrock model id (":" in the path)', async () => {
    const response = await sdkClient(gateway).send(new ConverseCommand({ modelId: CLAUDE_ID, messages: MESSAGES }));
    expect(response.output?.message?.content?.[0]?.text).toBe('Hello through the gateway.');
    expect(emulator.requests[0]?.modelId).toBe(CLAUDE_ID);
  });

  it('ConverseStream on a deployment whose model is an inference-profile ARN', async () => {
    const response = await sdkClient(gateway).send(new ConverseStreamCommand({ modelId: 'claude-profile', messages: MESSAGES }));
    const events = await collect(response.stream);
    expect(events.map((event) => event.contentBlockDelta?.delta?.text ?? '').join('')).toBe('Hello through the gateway.');
    expect(events.at(-1)?.metadata?.usage?.outputTokens).toBe(4);
    expect(emulator.requests[0]?.modelId).toBe(PROFILE_ARN);
    expect(emulator.requests[0]?.url).toBe(`/model/${encodeURIComponent(PROFILE_ARN)}/converse-stream`);
  });

  it('accepts the ARN itself as the model, sent as %2F by the SDK', async () => {
    const response = await sdkClient(gateway).send(new ConverseCommand({ modelId: PROFILE_ARN, messages: MESSAGES }));
    expect(response.stopReason).toBe('end_turn');
    expect(emulator.requests[0]?.modelId).toBe(PROFILE_ARN);
  });

  it('passes upstream errors through as the SDK exception', async () => {
    // Three times: the gateway tries a throttled call three times (num_retries 2) before giving up.
    emulator.inject({ error: { type: 'ThrottlingException', message: 'Too many tokens, please wait.' }, times: 3 });
    const call = sdkClient(gateway).send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }));
    await expect(call).rejects.toBeInstanceOf(ThrottlingException);
    await expect(call).rejects.toMatchObject({ message: 'Too many tokens, please wait.' });
    emulator.inject({ error: { type: 'ValidationException', message: 'messages: bad shape' } });
    const invalid = sdkClient(gateway).send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }));
    await expect(invalid).rejects.toBeInstanceOf(ValidationException);
  });

  it('passes mid-stream exception frames through', async () => {
    emulator.inject({ streamException: { type: 'modelStreamErrorException', afterFrames: 2 } });
    const response = await sdkClient(gateway).send(new ConverseStreamCommand({ modelId: 'claude', messages: MESSAGES }));
    await expect(collect(response.stream)).rejects.toBeInstanceOf(ModelStreamErrorException);
  });
});

describe('streams reach the client byte for byte', () => {
  const codec = new EventStreamCodec(
    (bytes) => Buffer.from(bytes).toString('utf8'),
    (text) => new Uint8Array(Buffer.from(text, 'utf8')),
  );

  it.each([
    ['converse-stream', JSON.stringify({ messages: MESSAGES })],
    ['invoke-with-response-stream', ANTHROPIC_BODY],
  ])('%s', async (operation, body) => {
    const response = await post(gateway, `/model/claude/${operation}`, body);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const received = Buffer.from(await response.arrayBuffer());
    expect(received.equals(emulator.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    // Well-formed for the AWS SDK's own decoder, frame by frame.
    const frames = new EventStreamDecoder().push(received);
    expect(frames.length).toBeGreaterThan(4);
    for (const frame of frames) expect(codec.decode(frame.raw).headers[':message-type']?.value).toBe('event');
  });

  it('forwards the first frame before the stream ends', async () => {
    emulator.inject({ chunkDelayMs: 300, replyText: 'slow words here' });
    const response = await post(gateway, '/model/claude/converse-stream', JSON.stringify({ messages: MESSAGES }));
    const reader = response.body?.getReader();
    const started = Date.now();
    const first = await reader?.read();
    expect(first?.value?.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(250);
    await reader?.cancel();
  });
});

describe('response headers', () => {
  it('names the request and the deployment, and keeps Bedrock’s', async () => {
    const response = await post(gateway, '/model/claude/converse', JSON.stringify({ messages: MESSAGES }));
    expect(response.headers.get('x-bedrock-passthrough-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-bedrock-passthrough-deployment')).toBe('claude-east');
    expect(response.headers.get('x-amzn-requestid')).toBe(emulator.requests[0]?.id);
    expect(response.headers.get('content-type')).toBe('application/json');
    const invoked = await post(gateway, '/model/claude/invoke', ANTHROPIC_BODY);
    expect(invoked.headers.get('x-amzn-bedrock-output-token-count')).toBe('4');
    expect(invoked.headers.get('x-amzn-bedrock-input-token-count')).toMatch(/^\d+$/);
  });

  it('gives a derived deployment id, never a secret, when model_info.id is not set', async () => {
    const response = await post(gateway, '/model/claude-profile/converse', JSON.stringify({ messages: MESSAGES }));
    const id = response.headers.get('x-bedrock-passthrough-deployment') ?? '';
    expect(id).toMatch(/^d-[0-9a-f]{12}$/);
    expect(id).not.toContain('123456789012');
  });
});
