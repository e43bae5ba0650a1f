/**
 * Every Bedrock operation beyond the four model routes, through the gateway with the real AWS SDK clients:
 * CountTokens and StartAsyncInvoke follow the model's deployments; guardrails, knowledge bases, agents, rerank and the
 * async-invoke listing go to `bedrock_settings`; names become ids; keys are held to their lists; operations that act
 * are retried only when Bedrock surely did not act.
 */
import {
  BedrockAgentRuntimeClient,
  InvokeAgentCommand,
  RerankCommand,
  RetrieveAndGenerateCommand,
  RetrieveAndGenerateStreamCommand,
  RetrieveCommand,
  type RetrieveAndGenerateStreamResponseOutput,
} from '@aws-sdk/client-bedrock-agent-runtime';
import {
  AccessDeniedException,
  ApplyGuardrailCommand,
  CountTokensCommand,
  GetAsyncInvokeCommand,
  InternalServerException,
  ListAsyncInvokesCommand,
  StartAsyncInvokeCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { request as httpRequest } from 'node:http';
import { EMULATOR_CREDENTIALS, type BedrockEmulator } from '../../lib/testing';
import type { BedrockSettings, KeyConfig } from '../../lib/config/types';
import type { PassthroughOptions, UsageRecord } from '../../lib/types';
import { CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn, post, sdkClient, startGateway, type RunningGateway } from '../support/gateway';
import { useThreeRegions } from '../support/regions';

const NOVA_REEL = 'amazon.nova-reel-v1:1';
const SIGNING_KEY = { accessKeyId: 'GWAGENTS000000000001', secretAccessKey: 'agents/secret/for-tests' };
const RESTRICTED = { accessKeyId: 'GWRESTRICTED00000002', secretAccessKey: 'restricted/secret/for-tests' };

const regions = useThreeRegions();
let gateway: RunningGateway;
const records: UsageRecord[] = [];

function settingsOn(emulator: BedrockEmulator): BedrockSettings {
  return {
    aws_region_name: emulator.region,
    aws_bedrock_runtime_endpoint: emulator.url,
    aws_bedrock_agent_runtime_endpoint: emulator.url,
    aws_access_key_id: EMULATOR_CREDENTIALS.accessKeyId,
    aws_secret_access_key: EMULATOR_CREDENTIALS.secretAccessKey,
  };
}

const KEYS: KeyConfig[] = [
  { name: 'agents', access_key_id: SIGNING_KEY.accessKeyId, secret_access_key: SIGNING_KEY.secretAccessKey },
  {
    name: 'restricted',
    key: 'sk-restricted',
    access_key_id: RESTRICTED.accessKeyId,
    secret_access_key: RESTRICTED.secretAccessKey,
    models: ['claude'],
    operations: ['count-tokens', 'retrieve', 'apply-guardrail'],
    knowledge_bases: ['handbook'],
    guardrails: ['gr-raw-id'],
  },
];

beforeAll(async () => {
  const options: PassthroughOptions = {
    model_list: [
      // One group in two regions: where a job starts decides where it is found again.
      deploymentOn(regions.east, 'reel', NOVA_REEL, { weight: 1 }),
      deploymentOn(regions.eu, 'reel', NOVA_REEL, { weight: 1 }),
      deploymentOn(regions.east, 'claude', CLAUDE_ID),
    ],
    bedrock_settings: settingsOn(regions.west),
    general_settings: { master_key: MASTER_KEY },
    router_settings: { num_retries: 2 },
    guardrails: [{ name: 'pii-filter', id: 'gr-0123456789', version: '3' }],
    knowledge_bases: [{ name: 'handbook', id: 'KB00000001' }],
    agents: [{ name: 'support', id: 'AGENT00001', alias_id: 'ALIAS00001' }],
    keys: KEYS,
    costTracker: { record: (record) => void records.push(record) },
  };
  gateway = await startGateway(options, { mount: '/platform/bedrock' });
});
afterAll(() => gateway.close());
beforeEach(() => {
  records.length = 0;
});

/** The Agent Runtime client has no bearer scheme: it signs with a key's credentials, as boto3 does. */
function agentClient(credentials = SIGNING_KEY): BedrockAgentRuntimeClient {
  return new BedrockAgentRuntimeClient({
    region: 'eu-central-1',
    endpoint: gateway.url,
    credentials,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

async function recordsSettled(count: number): Promise<UsageRecord[]> {
  for (let tries = 0; records.length < count && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
  return records;
}

describe('operations that follow a model', () => {
  it("CountTokens goes to the model's deployment with its model id, and records no usage to charge", async () => {
    const answer = await sdkClient(gateway).send(new CountTokensCommand({ modelId: 'claude', input: { converse: { messages: MESSAGES } } }));
    expect(answer.inputTokens).toBeGreaterThan(0);
    expect(regions.east.requests.map((request) => request.url)).toEqual([`/model/${encodeURIComponent(CLAUDE_ID)}/count-tokens`]);
    const [record] = await recordsSettled(1);
    expect(record).toMatchObject({ operation: 'count-tokens', modelName: 'claude', status: 200, usage: undefined, costUsd: null, usageComplete: true });
  });

  it('StartAsyncInvoke names the group in its body: the deployment gets its model id, and GetAsyncInvoke finds the job where it started', async () => {
    const client = sdkClient(gateway);
    const started: Array<{ arn: string; region: string }> = [];
    for (let index = 0; index < 6; index++) {
      const { invocationArn } = await client.send(
        new StartAsyncInvokeCommand({
          modelId: 'reel',
          modelInput: { taskType: 'TEXT_VIDEO', textToVideoParams: { text: `clip ${index}` } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://videos/out/' } },
        }),
      );
      started.push({ arn: invocationArn as string, region: (invocationArn as string).split(':')[3] as string });
    }
    // Both regions took jobs (weighted shuffle over six calls), each with the deployment's model id in the body.
    expect(new Set(started.map((job) => job.region))).toEqual(new Set(['us-east-1', 'eu-west-1']));
    for (const emulator of [regions.east, regions.eu]) {
      for (const request of emulator.requests) expect(JSON.parse(request.body.toString())).toMatchObject({ modelId: NOVA_REEL });
    }
    for (const job of started) {
      const found = await client.send(new GetAsyncInvokeCommand({ invocationArn: job.arn }));
      expect(found).toMatchObject({ invocationArn: job.arn, modelArn: expect.stringContaining(NOVA_REEL) });
    }
    const gets = [...regions.east.requests, ...regions.eu.requests].filter((request) => request.operation === 'get-async-invoke');
    expect(gets).toHaveLength(6);
    expect(regions.west.requests).toEqual([]);
  });

  it("ListAsyncInvokes lists bedrock_settings' region, passing the operation's query parameters and no others", async () => {
    const answer = await sdkClient(gateway).send(new ListAsyncInvokesCommand({ maxResults: 5, statusEquals: 'Completed', sortOrder: 'Ascending' }));
    expect(answer.asyncInvokeSummaries).toEqual([]);
    const response = await fetch(`${gateway.url}/async-invoke?maxResults=2&admin=true&nextToken=a%20b`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(response.status).toBe(400); // the emulator refuses a token it did not issue: it reached upstream
    expect(regions.west.requests.map((request) => request.url)).toEqual([
      '/async-invoke?maxResults=5&sortOrder=Ascending&statusEquals=Completed',
      '/async-invoke?maxResults=2&nextToken=a%20b',
    ]);
  });
});

describe('operations served with bedrock_settings', () => {
  it('ApplyGuardrail by name: the id and the pinned version go upstream, and the record names the guardrail', async () => {
    const answer = await sdkClient(gateway).send(
      new ApplyGuardrailCommand({ guardrailIdentifier: 'pii-filter', guardrailVersion: 'DRAFT', source: 'INPUT', content: [{ text: { text: 'Hello' } }] }),
    );
    expect(answer.action).toBe('NONE');
    expect(regions.west.requests.map((request) => request.url)).toEqual(['/guardrail/gr-0123456789/version/3/apply']);
    expect((await recordsSettled(1))[0]).toMatchObject({ operation: 'apply-guardrail', modelName: 'pii-filter', region: 'us-west-2', deploymentId: 'bedrock-runtime.us-west-2' });
  });

  it('Retrieve, RetrieveAndGenerate and its stream by knowledge base name', async () => {
    const client = agentClient();
    const retrieved = await client.send(new RetrieveCommand({ knowledgeBaseId: 'handbook', retrievalQuery: { text: 'holidays' } }));
    expect(retrieved.retrievalResults?.length).toBeGreaterThan(0);
    const configuration = {
      type: 'KNOWLEDGE_BASE' as const,
      knowledgeBaseConfiguration: { knowledgeBaseId: 'handbook', modelArn: 'arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0' },
    };
    const generated = await client.send(new RetrieveAndGenerateCommand({ input: { text: 'holidays?' }, retrieveAndGenerateConfiguration: configuration }));
    expect(generated.output?.text).toBeTruthy();
    const streamed = await client.send(new RetrieveAndGenerateStreamCommand({ input: { text: 'holidays?' }, retrieveAndGenerateConfiguration: configuration }));
    const events: RetrieveAndGenerateStreamResponseOutput[] = [];
    for await (const event of streamed.stream ?? []) events.push(event);
    expect(events.some((event) => event.output?.text)).toBe(true);
    expect(streamed.sessionId).toBeTruthy();

    const [retrieve, generate, stream] = regions.west.requests;
    expect(retrieve?.url).toBe('/knowledgebases/KB00000001/retrieve');
    // The name in the body became the id; the rest of the body is as sent.
    for (const request of [generate, stream]) {
      expect(JSON.parse(request?.body.toString() ?? '')).toMatchObject({ retrieveAndGenerateConfiguration: { knowledgeBaseConfiguration: { knowledgeBaseId: 'KB00000001', modelArn: configuration.knowledgeBaseConfiguration.modelArn } } });
    }
    expect((await recordsSettled(3)).map((record) => [record.operation, record.modelName, record.streamed])).toEqual([
      ['retrieve', 'handbook', false],
      ['retrieve-and-generate', 'handbook', false],
      ['retrieve-and-generate-stream', 'handbook', true],
    ]);
  });

  it('InvokeAgent by name: the pinned alias, x-amz-source-arn and the session headers cross, and the chunks arrive', async () => {
    const answer = await agentClient().send(
      new InvokeAgentCommand({ agentId: 'support', agentAliasId: 'TSTALIASID', sessionId: 'session-1', inputText: 'Hello agent', memoryId: 'memory-1', sourceArn: 'arn:aws:iam::123456789012:role/caller' }),
    );
    let text = '';
    for await (const event of answer.completion ?? []) text += Buffer.from(event.chunk?.bytes ?? new Uint8Array()).toString();
    expect(text).toBe('Hello from the Bedrock emulator. This answer is canned.');
    expect(answer).toMatchObject({ sessionId: 'session-1', memoryId: 'memory-1', contentType: 'application/json' });
    const [upstream] = regions.west.requests;
    expect(upstream?.url).toBe('/agents/AGENT00001/agentAliases/ALIAS00001/sessions/session-1/text');
    expect(upstream?.headers['x-amz-source-arn']).toBe('arn:aws:iam::123456789012:role/caller');
  });

  it('Rerank, which names nothing, is recorded under its service', async () => {
    const answer = await agentClient().send(
      new RerankCommand({
        queries: [{ type: 'TEXT', textQuery: { text: 'holidays' } }],
        sources: ['pay day', 'holidays are in August'].map((text) => ({ type: 'INLINE', inlineDocumentSource: { type: 'TEXT', textDocument: { text } } })),
        rerankingConfiguration: { type: 'BEDROCK_RERANKING_MODEL', bedrockRerankingConfiguration: { modelConfiguration: { modelArn: 'arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0' } } },
      }),
    );
    expect(answer.results?.[0]?.index).toBe(1);
    expect((await recordsSettled(1))[0]).toMatchObject({ operation: 'rerank', modelName: 'bedrock-agent-runtime' });
  });
});

describe('keys held to their lists', () => {
  it('refuses a knowledge base, guardrail, operation or model the key may not use, and serves the ones it may', async () => {
    const restricted = agentClient(RESTRICTED);
    await expect(restricted.send(new RetrieveCommand({ knowledgeBaseId: 'handbook', retrievalQuery: { text: 'x' } }))).resolves.toBeDefined();
    await expect(restricted.send(new RetrieveCommand({ knowledgeBaseId: 'KB00000001', retrievalQuery: { text: 'x' } }))).resolves.toBeDefined();
    await expect(restricted.send(new RetrieveCommand({ knowledgeBaseId: 'KB99999999', retrievalQuery: { text: 'x' } }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: "Key 'restricted' may not use knowledge base 'KB99999999'.",
    });
    await expect(restricted.send(new InvokeAgentCommand({ agentId: 'support', agentAliasId: 'A', sessionId: 's', inputText: 'x' }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: "Key 'restricted' may not call invoke-agent.",
    });
    const runtime = sdkClient(gateway, 'sk-restricted');
    await expect(runtime.send(new ApplyGuardrailCommand({ guardrailIdentifier: 'gr-raw-id', guardrailVersion: '1', source: 'INPUT', content: [{ text: { text: 'x' } }] }))).resolves.toBeDefined();
    await expect(
      runtime.send(new ApplyGuardrailCommand({ guardrailIdentifier: 'pii-filter', guardrailVersion: '1', source: 'INPUT', content: [{ text: { text: 'x' } }] })),
    ).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(runtime.send(new CountTokensCommand({ modelId: 'reel', input: { converse: { messages: MESSAGES } } }))).rejects.toMatchObject({
      message: "Key 'restricted' may not use model 'reel'.",
    });
    // Nothing refused reached Bedrock.
    expect(regions.west.requests.map((request) => request.operation)).toEqual(['retrieve', 'retrieve', 'apply-guardrail']);
    expect(regions.east.requests).toEqual([]);
  });
});

describe('retries of operations that act', () => {
  it('InvokeAgent is not tried again after a 500 (its actions may have run), but is after a throttle', async () => {
    regions.west.inject({ match: { operation: 'invoke-agent' }, error: { type: 'InternalServerException' } });
    await expect(agentClient().send(new InvokeAgentCommand({ agentId: 'support', agentAliasId: 'A', sessionId: 's', inputText: 'x' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 500 },
    });
    expect(regions.west.requests).toHaveLength(1);

    regions.west.reset();
    regions.west.inject({ match: { operation: 'invoke-agent' }, error: { type: 'ThrottlingException', retryAfterSeconds: 0 } });
    const answer = await agentClient().send(new InvokeAgentCommand({ agentId: 'support', agentAliasId: 'A', sessionId: 's', inputText: 'x' }));
    for await (const event of answer.completion ?? []) void event;
    expect(regions.west.requests.map((request) => request.status)).toEqual([429, 200]);
  });

  it('StartAsyncInvoke is not tried again after a 500, nor failed over to another region', async () => {
    for (const emulator of [regions.east, regions.eu]) emulator.inject({ match: { operation: 'start-async-invoke' }, error: { type: 'InternalServerException' } });
    await expect(
      sdkClient(gateway).send(new StartAsyncInvokeCommand({ modelId: 'reel', modelInput: {}, outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://b/' } } })),
    ).rejects.toBeInstanceOf(InternalServerException);
    expect(regions.east.requests.length + regions.eu.requests.length).toBe(1);
  });

  it('Retrieve, which only reads, is tried again after a 500', async () => {
    regions.west.inject({ match: { operation: 'retrieve' }, error: { type: 'InternalServerException' } });
    await agentClient().send(new RetrieveCommand({ knowledgeBaseId: 'handbook', retrievalQuery: { text: 'x' } }));
    expect(regions.west.requests.map((request) => request.status)).toEqual([500, 200]);
  });
});

/** A POST whose path is sent exactly as written. */
function rawPost(path: string, body: string): Promise<{ status: number; type: string | undefined; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${new URL(gateway.url).origin}${path}`,
      { method: 'POST', path, headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, type: response.headers['x-amzn-errortype'] as string | undefined, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('what the gateway refuses itself', () => {
  it('refuses dot segments in path parameters and bad JSON before any upstream call', async () => {
    // fetch would resolve %2E%2E itself: the request goes as written.
    const dotted = await rawPost(`${new URL(gateway.url).pathname}/knowledgebases/%2E%2E/retrieve`, '{"retrievalQuery":{"text":"x"}}');
    expect(dotted).toEqual({
      status: 400,
      type: 'ValidationException',
      body: { message: 'The knowledgeBase in the path is invalid.' },
    });
    const notJson = await post(gateway, '/rerank', 'queries=1');
    expect(notJson.status).toBe(400);
    const noModel = await post(gateway, '/async-invoke', '{"modelInput":{}}');
    expect(await noModel.json()).toEqual({ message: 'Malformed input request: modelId is required.' });
    expect([...regions.east.requests, ...regions.west.requests, ...regions.eu.requests]).toEqual([]);
  });

  it('answers a known path with the wrong method with 405 and the methods it takes', async () => {
    const response = await fetch(`${gateway.url}/async-invoke`, { method: 'DELETE', headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect({ status: response.status, allow: response.headers.get('allow') }).toEqual({ status: 405, allow: 'POST, GET' });
  });
});
