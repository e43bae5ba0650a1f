/**
 * The `{model}` path segment is the one part of the upstream path a client writes. Whatever it holds — dot segments
 * plain or encoded, `%2F` outside ARNs, NUL, CR/LF, unicode, double encoding, thousands of characters — the upstream
 * request goes to the configured host, at the route's pattern with the deployment's model id (or, where the config
 * allows raw model ids, the client's id encoded as one segment), or nowhere: the emulator's records show what arrived.
 */
import fc from 'fast-check';
import { EMULATOR_CREDENTIALS, startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MASTER_KEY, deploymentOn } from '../support/gateway';
import { expectRawBedrockError, httpRequest, rawRequest, startCliServer, type CliServer, type RawAnswer } from './raw-http';

const BODY = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
const CLAUDE_ID = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

let emulator: BedrockEmulator;
/** Serves model groups only. */
let groupsOnly: CliServer;
/** Also serves raw Bedrock model ids (`bedrock_settings.allow_raw_model_ids`). */
let rawIds: CliServer;

beforeAll(async () => {
  emulator = await startBedrockEmulator();
  const model_list = [deploymentOn(emulator, 'claude', CLAUDE_ID)];
  groupsOnly = await startCliServer({ model_list, general_settings: { master_key: MASTER_KEY } });
  rawIds = await startCliServer({
    model_list,
    general_settings: { master_key: MASTER_KEY },
    bedrock_settings: {
      allow_raw_model_ids: true,
      aws_region_name: emulator.region,
      aws_bedrock_runtime_endpoint: emulator.url,
      aws_access_key_id: EMULATOR_CREDENTIALS.accessKeyId,
      aws_secret_access_key: EMULATOR_CREDENTIALS.secretAccessKey,
    },
  });
});
afterAll(async () => {
  await groupsOnly.close();
  await rawIds.close();
  await emulator.close();
});
beforeEach(() => emulator.reset());

/** Converse with `segment` written as it is into the request target. */
function converseWith(server: CliServer, segment: string): Promise<RawAnswer> {
  const headers = ['Host: gateway.test', `Authorization: Bearer ${MASTER_KEY}`, 'Content-Type: application/json', 'Connection: close'];
  return rawRequest(server.port, httpRequest('POST', `/bedrock/model/${segment}/converse`, [...headers, `Content-Length: ${BODY.length}`], BODY));
}

/** The one upstream request went to the emulator, at exactly `/model/<encoded id>/converse`. */
function expectUpstreamAt(modelId: string): void {
  expect(emulator.requests.map((sent) => [sent.headers.host, sent.url])).toEqual([
    [new URL(emulator.url).host, `/model/${encodeURIComponent(modelId)}/converse`],
  ]);
}

describe.each([
  ['model groups only', () => groupsOnly],
  ['raw model ids allowed', () => rawIds],
])('with %s', (_config, server) => {
  it.each([
    ['..', 'a dot-dot segment'],
    ['.', 'a dot segment'],
    ['%2e%2e', 'an encoded dot-dot'],
    ['%2E%2E', 'an encoded dot-dot, upper case'],
    ['.%2e', 'a half-encoded dot-dot'],
    ['%2e', 'an encoded dot'],
  ])('%s (%s) is refused: ValidationException, nothing sent', async (segment) => {
    const answer = await converseWith(server(), segment);
    expectRawBedrockError(answer, 400, 'ValidationException');
    expect(JSON.parse(answer.body)).toEqual({ message: 'The model in the path is invalid.' });
    expect(emulator.requests).toHaveLength(0);
  });

  it.each([
    ['claude%2F..%2F..%2Fguardrail-checks%2Finvoke', '%2F dot-dots out of the model segment'],
    ['..%2Fguardrail-checks%2Finvoke', 'a leading %2F dot-dot'],
    ['x%2F..%2F..%2F..%2Fadmin', 'dot-dots towards another host path'],
    ['claude%00', 'a NUL'],
    ['claude%0D%0AHost:%20evil.example', 'CR LF and a header'],
    ['cl%C3%A1ude', 'unicode'],
    ['%EF%BC%8E%EF%BC%8E', 'fullwidth dots'],
    ['%252e%252e', 'a double-encoded dot-dot'],
    ['claude%3Fx%3D1', 'an encoded query'],
    ['claude%23fragment', 'an encoded fragment'],
    ['%E0%A4%A', 'broken percent-encoding'],
    ['m'.repeat(3000), 'an id of 3,000 characters'],
  ])('%s (%s) is refused: ValidationException, nothing sent', async (segment) => {
    expectRawBedrockError(await converseWith(server(), segment), 400, 'ValidationException');
    expect(emulator.requests).toHaveLength(0);
  });

  it('an over-long id is repeated in the error only in part', async () => {
    const answer = await converseWith(server(), 'm'.repeat(3000));
    const { message } = JSON.parse(answer.body) as { message: string };
    expect(message.length).toBeLessThan(400);
    expect(message).toContain('(3000 characters)');
  });

  it.each([
    ['/bedrock/model/claude/../../guardrail-checks/invoke'],
    ['/bedrock/model/claude/..%2F..%2Fguardrail-checks/invoke'],
    ['/bedrock/model/a/b/converse'],
    ['/bedrock/model//converse'],
    ['/bedrock/./model/claude/converse'],
    ['/bedrock/model/claude/converse/..'],
  ])('the unencoded path %s matches no route: UnknownOperationException, nothing sent', async (target) => {
    const headers = ['Host: gateway.test', `Authorization: Bearer ${MASTER_KEY}`, 'Connection: close', `Content-Length: ${BODY.length}`];
    const answer = await rawRequest(server().port, httpRequest('POST', target, headers, BODY));
    expect([400, 404]).toContain(answer.status);
    expect(emulator.requests).toHaveLength(0);
  });

  it('a model group, a deployment id or the Bedrock id, plain or encoded, goes to the deployment’s own model id', async () => {
    for (const segment of ['claude', '%63laude', encodeURIComponent(CLAUDE_ID), CLAUDE_ID]) {
      emulator.reset();
      expect((await converseWith(server(), segment)).status).toBe(200);
      expectUpstreamAt(CLAUDE_ID);
    }
  });
});

describe('raw model ids', () => {
  it.each([
    ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0', 'an ARN, its / encoded'],
    ['us.amazon.nova-lite-v1:0', 'an inference profile id'],
  ])('%s (%s) goes upstream as one encoded segment', async (modelId) => {
    expect((await converseWith(rawIds, encodeURIComponent(modelId))).status).toBe(200);
    expectUpstreamAt(modelId);
  });

  it('are refused where the config does not allow them', async () => {
    expectRawBedrockError(await converseWith(groupsOnly, 'us.amazon.nova-lite-v1%3A0'), 400, 'ValidationException');
    expect(emulator.requests).toHaveLength(0);
  });
});

/** Pieces attackers splice into a segment, and plain characters around them. */
const SEGMENT_PIECES = fc.constantFrom(
  '..', '.', '%2e', '%2E', '%2F', '%2f', '/', '%5C', '\\', '%00', '%0d%0a', '%25', '%3F', '?', '#', '%23', ':', '%3A', '@', '%40',
  'claude', 'arn:aws:bedrock:us-east-1:123456789012:inference-profile', CLAUDE_ID, '%C3%A1', '%EF%BC%8E', ' ', '%20', '%',
);
const SEGMENTS = fc.oneof(
  fc.array(SEGMENT_PIECES, { minLength: 1, maxLength: 8 }).map((pieces) => pieces.join('')),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map(encodeURIComponent),
);

it('property: whatever the segment, the upstream request is the route at an encoded model id on the configured host, or none', async () => {
  await fc.assert(
    fc.asyncProperty(SEGMENTS, fc.constantFrom(groupsOnly, rawIds), async (segment, server) => {
      emulator.reset();
      const answer = await converseWith(server, segment);
      if (answer.status === 200) {
        const [sent] = emulator.requests;
        expect(emulator.requests).toHaveLength(1);
        expect(sent?.headers.host).toBe(new URL(emulator.url).host);
        // The configured deployment's id, or (raw ids) the id the client named: either way one encoded segment.
        const modelId = sent?.modelId ?? '';
        expect(sent?.url).toBe(`/model/${encodeURIComponent(modelId)}/converse`);
        if (server === groupsOnly) expect(modelId).toBe(CLAUDE_ID);
        expect(modelId.split('/')).not.toContain('..');
      } else {
        expect([400, 404, 431]).toContain(answer.status);
        expect(answer.headers['x-amzn-errortype']).toMatch(/^(ValidationException|UnknownOperationException)$/);
        expect(emulator.requests).toHaveLength(0);
      }
    }),
    { numRuns: 150 },
  );
});
