/**
 * Bedrock Agent Runtime through the real AWS SDK against the emulator: Retrieve, RetrieveAndGenerate (and its
 * stream), InvokeAgent and Rerank with SigV4 and with a Bedrock API key; records; errors, stream exceptions and
 * stream faults as the SDK surfaces them; validation.
 */
import {
  AccessDeniedException,
  BadGatewayException,
  BedrockAgentRuntimeClient,
  ConflictException,
  DependencyFailedException,
  InternalServerException,
  InvokeAgentCommand,
  ModelNotReadyException,
  RerankCommand,
  ResourceNotFoundException,
  RetrieveAndGenerateCommand,
  RetrieveAndGenerateStreamCommand,
  RetrieveCommand,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
  type InvokeAgentCommandInput,
  type RerankCommandInput,
  type ResponseStream,
  type RetrieveAndGenerateCommandInput,
  type RetrieveAndGenerateStreamResponseOutput,
} from '@aws-sdk/client-bedrock-agent-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { FinalizeHandlerArguments, MiddlewareStack } from '@smithy/types';
import {
  EMULATOR_API_KEY,
  EMULATOR_CREDENTIALS,
  INVOKE_AGENT_STREAM_EXCEPTION_TYPES,
  RETRIEVE_AND_GENERATE_STREAM_EXCEPTION_TYPES,
  startBedrockEmulator,
  type AgentRuntimeStreamExceptionType,
  type BedrockEmulator,
  type BedrockErrorType,
} from '../../lib/testing';

const KB_ID = 'KB12345678';
const MODEL_ARN = 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0';
const RERANK_ARN = 'arn:aws:bedrock:us-east-1::foundation-model/amazon.rerank-v1:0';
const SOURCE_ARN = 'arn:aws:bedrock:us-east-1:123456789012:agent-alias/AGENT1/ALIAS1';
const REPLY = 'Agents ground answers in knowledge.';
const DOCUMENTS = [
  { text: 'Cats sleep most of the day.', uri: 's3://kb/cats.txt', metadata: { animal: 'cat' } },
  { text: 'Knowledge bases retrieve passages for agents.', uri: 's3://kb/kb.txt' },
  { text: 'Agents call action groups and knowledge bases.', uri: 's3://kb/agents.txt' },
];

const RAG: RetrieveAndGenerateCommandInput = {
  input: { text: 'How do agents use knowledge bases?' },
  retrieveAndGenerateConfiguration: {
    type: 'KNOWLEDGE_BASE',
    knowledgeBaseConfiguration: {
      knowledgeBaseId: KB_ID,
      modelArn: MODEL_ARN,
      retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 2 } },
    },
  },
};
const AGENT: InvokeAgentCommandInput = { agentId: 'AGENT1', agentAliasId: 'ALIAS1', sessionId: 'session-1', inputText: 'Hello agent' };
const RERANK: RerankCommandInput = {
  queries: [{ type: 'TEXT', textQuery: { text: 'cats sleep' } }],
  sources: ['Dogs bark.', 'Cats sleep a lot.', 'Sleeping is healthy.'].map((text) => ({
    type: 'INLINE' as const,
    inlineDocumentSource: { type: 'TEXT' as const, textDocument: { text } },
  })),
  rerankingConfiguration: {
    type: 'BEDROCK_RERANKING_MODEL',
    bedrockRerankingConfiguration: { numberOfResults: 2, modelConfiguration: { modelArn: RERANK_ARN } },
  },
};

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator({ replyText: REPLY, knowledgeBaseDocuments: DOCUMENTS, guardrailBlockedWords: ['forbidden'] });
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

function sigv4Client(credentials = EMULATOR_CREDENTIALS): BedrockAgentRuntimeClient {
  return new BedrockAgentRuntimeClient({
    region: 'us-east-1',
    endpoint: emulator.url,
    credentials,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

/**
 * The Agent Runtime SDK offers no bearer auth scheme, so this client swaps the signature for a Bedrock API key
 * after signing, as a client configured for API keys would send it.
 */
function bearerClient(key = EMULATOR_API_KEY): BedrockAgentRuntimeClient {
  const client = sigv4Client();
  (client.middlewareStack as MiddlewareStack<object, object>).add(
    (next) => (args) => {
      const { request } = args as FinalizeHandlerArguments<object> & { request: { headers: Record<string, string> } };
      for (const name of Object.keys(request.headers)) if (/^(authorization|x-amz-date|x-amz-content-sha256)$/i.test(name)) delete request.headers[name];
      request.headers['authorization'] = `Bearer ${key}`;
      return next(args);
    },
    { step: 'deserialize', name: 'bedrockApiKey' },
  );
  return client;
}

async function collect<T>(stream: AsyncIterable<T> | undefined): Promise<T[]> {
  const events: T[] = [];
  for await (const event of stream ?? []) events.push(event);
  return events;
}

const eventNames = (events: readonly object[]) => events.map((event) => Object.keys(event).find((key) => key !== '$unknown'));
const decode = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');

describe.each([
  ['SigV4', () => sigv4Client(), 'sigv4'],
  ['a Bedrock API key', () => bearerClient(), 'bearer'],
] as const)('the Agent Runtime SDK with %s completes', (_label, makeClient, scheme) => {
  it('Retrieve, honouring numberOfResults and ranking by relevance', async () => {
    const response = await makeClient().send(
      new RetrieveCommand({
        knowledgeBaseId: KB_ID,
        retrievalQuery: { text: 'Do cats sleep?' },
        retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 2 } },
      }),
    );
    expect(response.retrievalResults).toHaveLength(2);
    expect(response.retrievalResults?.[0]).toEqual({
      content: { type: 'TEXT', text: 'Cats sleep most of the day.' },
      location: { type: 'S3', s3Location: { uri: 's3://kb/cats.txt' } },
      score: 0.6667,
      metadata: {
        'x-amz-bedrock-kb-source-uri': 's3://kb/cats.txt',
        'x-amz-bedrock-kb-chunk-id': 'emulator-chunk-1',
        'x-amz-bedrock-kb-data-source-id': 'EMULATORDS',
        animal: 'cat',
      },
    });
    expect(emulator.requests[0]).toMatchObject({
      url: `/knowledgebases/${KB_ID}/retrieve`,
      operation: 'retrieve',
      resourceId: KB_ID,
      pathParameters: { knowledgeBaseId: KB_ID },
      auth: { scheme, accepted: true },
    });
  });

  it('RetrieveAndGenerate, with a session id and citations', async () => {
    const response = await makeClient().send(new RetrieveAndGenerateCommand(RAG));
    expect(response.output?.text).toBe(REPLY);
    expect(response.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.citations).toHaveLength(1);
    expect(response.citations?.[0]?.generatedResponsePart?.textResponsePart).toEqual({ text: REPLY, span: { start: 0, end: REPLY.length - 1 } });
    expect(response.citations?.[0]?.retrievedReferences?.map((reference) => reference.location?.s3Location?.uri)).toEqual([
      // Both hold three of the question's six words; equal scores keep the corpus order.
      's3://kb/kb.txt',
      's3://kb/agents.txt',
    ]);
    expect(emulator.requests[0]).toMatchObject({ operation: 'retrieve-and-generate', resourceId: KB_ID, modelId: MODEL_ARN });
  });

  it('RetrieveAndGenerateStream, with output, citation and guardrail events and the session header', async () => {
    const response = await makeClient().send(
      new RetrieveAndGenerateStreamCommand({
        ...RAG,
        sessionId: 'kb-session-7',
        retrieveAndGenerateConfiguration: {
          ...RAG.retrieveAndGenerateConfiguration,
          type: 'KNOWLEDGE_BASE',
          knowledgeBaseConfiguration: {
            ...RAG.retrieveAndGenerateConfiguration?.knowledgeBaseConfiguration,
            knowledgeBaseId: KB_ID,
            modelArn: MODEL_ARN,
            generationConfiguration: { guardrailConfiguration: { guardrailId: 'gr-1', guardrailVersion: '1' } },
          },
        },
      }),
    );
    expect(response.sessionId).toBe('kb-session-7');
    const events = await collect<RetrieveAndGenerateStreamResponseOutput>(response.stream);
    expect(eventNames(events)).toEqual(['output', 'output', 'output', 'output', 'output', 'citation', 'guardrail']);
    expect(events.map((event) => event.output?.text ?? '').join('')).toBe(REPLY);
    const citation = events[5]?.citation;
    expect(citation?.retrievedReferences).toHaveLength(2);
    expect(citation?.citation?.generatedResponsePart?.textResponsePart?.text).toBe(REPLY);
    expect(events[6]?.guardrail).toEqual({ action: 'NONE' });
    expect(emulator.requests[0]?.responseBody?.length).toBeGreaterThan(0);
  });

  it('InvokeAgent, decoding chunk bytes, with traces and the session and memory headers', async () => {
    const response = await makeClient().send(
      new InvokeAgentCommand({ ...AGENT, enableTrace: true, memoryId: 'memory-1', sourceArn: SOURCE_ARN }),
    );
    expect(response).toMatchObject({ contentType: 'application/json', sessionId: 'session-1', memoryId: 'memory-1' });
    const events = await collect<ResponseStream>(response.completion);
    expect(eventNames(events)).toEqual(['trace', 'trace', 'chunk']);
    expect(decode(events[2]?.chunk?.bytes)).toBe(REPLY);
    expect(events[0]?.trace).toMatchObject({
      agentId: 'AGENT1',
      agentAliasId: 'ALIAS1',
      sessionId: 'session-1',
      eventTime: expect.any(Date),
      trace: { orchestrationTrace: { modelInvocationInput: { text: 'Hello agent', type: 'ORCHESTRATION' } } },
    });
    expect(events[1]?.trace?.trace?.orchestrationTrace?.observation?.finalResponse?.text).toBe(REPLY);
    expect(emulator.requests[0]).toMatchObject({
      url: '/agents/AGENT1/agentAliases/ALIAS1/sessions/session-1/text',
      operation: 'invoke-agent',
      resourceId: 'AGENT1',
      pathParameters: { agentId: 'AGENT1', agentAliasId: 'ALIAS1', sessionId: 'session-1' },
      headers: { 'x-amz-source-arn': SOURCE_ARN },
    });
  });

  it('Rerank, best first, at most numberOfResults, with the documents', async () => {
    const response = await makeClient().send(new RerankCommand(RERANK));
    expect(response.results).toEqual([
      { index: 1, relevanceScore: 1, document: { type: 'TEXT', textDocument: { text: 'Cats sleep a lot.' } } },
      { index: 0, relevanceScore: 0, document: { type: 'TEXT', textDocument: { text: 'Dogs bark.' } } },
    ]);
    expect(response.nextToken).toBeUndefined();
    expect(emulator.requests[0]).toMatchObject({ url: '/rerank', operation: 'rerank', modelId: RERANK_ARN, resourceId: RERANK_ARN });
  });
});

describe('answers shaped by the request', () => {
  it('InvokeAgent streams one chunk per word with streamFinalResponse, and no traces unless asked', async () => {
    const response = await sigv4Client().send(
      new InvokeAgentCommand({ ...AGENT, streamingConfigurations: { streamFinalResponse: true } }),
    );
    expect(response.memoryId).toBeUndefined();
    const events = await collect<ResponseStream>(response.completion);
    expect(eventNames(events)).toEqual(['chunk', 'chunk', 'chunk', 'chunk', 'chunk']);
    expect(events.map((event) => decode(event.chunk?.bytes)).join('')).toBe(REPLY);
  });

  it('a guardrail on RetrieveAndGenerate intervenes on blocked words, without citations', async () => {
    const guarded = await sigv4Client().send(
      new RetrieveAndGenerateCommand({
        input: { text: 'Tell me something forbidden' },
        retrieveAndGenerateConfiguration: {
          type: 'KNOWLEDGE_BASE',
          knowledgeBaseConfiguration: {
            knowledgeBaseId: KB_ID,
            modelArn: MODEL_ARN,
            generationConfiguration: { guardrailConfiguration: { guardrailId: 'gr-1', guardrailVersion: '1' } },
          },
        },
        sessionId: 'kb-session-8',
      }),
    );
    expect(guarded).toMatchObject({ guardrailAction: 'INTERVENED', citations: [], sessionId: 'kb-session-8' });
  });
});

describe('authentication', () => {
  it('refuses a wrong signature, an unknown key id and a wrong API key', async () => {
    await expect(
      sigv4Client({ ...EMULATOR_CREDENTIALS, secretAccessKey: 'wrong' }).send(new RetrieveAndGenerateCommand(RAG)),
    ).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    await expect(
      sigv4Client({ accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' }).send(new InvokeAgentCommand(AGENT)),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await expect(bearerClient('ABSKwrong').send(new RerankCommand(RERANK))).rejects.toBeInstanceOf(AccessDeniedException);
    expect(emulator.requests.map((request) => request.auth?.accepted)).toEqual([false, false, false]);
  });
});

const ERROR_CLASSES: Array<[BedrockErrorType, number, new (...args: never[]) => Error]> = [
  ['ValidationException', 400, ValidationException],
  ['ServiceQuotaExceededException', 400, ServiceQuotaExceededException],
  ['AccessDeniedException', 403, AccessDeniedException],
  ['ResourceNotFoundException', 404, ResourceNotFoundException],
  ['ConflictException', 409, ConflictException],
  ['DependencyFailedException', 424, DependencyFailedException],
  ['ModelNotReadyException', 424, ModelNotReadyException],
  ['ThrottlingException', 429, ThrottlingException],
  ['InternalServerException', 500, InternalServerException],
  ['BadGatewayException', 502, BadGatewayException],
];

const STREAM_ERROR_CLASSES: Record<AgentRuntimeStreamExceptionType, new (...args: never[]) => Error> = {
  internalServerException: InternalServerException,
  validationException: ValidationException,
  resourceNotFoundException: ResourceNotFoundException,
  serviceQuotaExceededException: ServiceQuotaExceededException,
  throttlingException: ThrottlingException,
  accessDeniedException: AccessDeniedException,
  conflictException: ConflictException,
  dependencyFailedException: DependencyFailedException,
  badGatewayException: BadGatewayException,
  modelNotReadyException: ModelNotReadyException,
};
const withClass = (type: AgentRuntimeStreamExceptionType) => [type, STREAM_ERROR_CLASSES[type]] as const;

describe('injected errors reach the SDK as its own exception classes, with Agent Runtime statuses', () => {
  it.each(ERROR_CLASSES)('%s (%d)', async (type, status, errorClass) => {
    emulator.inject({ error: { type, message: `injected ${type}` }, times: 2 });
    const retrieved = sigv4Client().send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: 'q' } }));
    await expect(retrieved).rejects.toBeInstanceOf(errorClass);
    await expect(retrieved).rejects.toMatchObject({ message: `injected ${type}`, $metadata: { httpStatusCode: status } });
    await expect(bearerClient().send(new InvokeAgentCommand(AGENT))).rejects.toBeInstanceOf(errorClass);
  });

  it.each(RETRIEVE_AND_GENERATE_STREAM_EXCEPTION_TYPES.map(withClass))(
    'mid-stream %s on RetrieveAndGenerateStream',
    async (type, errorClass) => {
      emulator.inject({ match: { operation: 'retrieve-and-generate-stream' }, streamException: { type, message: `mid-stream ${type}`, afterFrames: 2 } });
      const response = await sigv4Client().send(new RetrieveAndGenerateStreamCommand(RAG));
      const seen: RetrieveAndGenerateStreamResponseOutput[] = [];
      const reading = (async () => {
        for await (const event of response.stream ?? []) seen.push(event);
      })();
      await expect(reading).rejects.toBeInstanceOf(errorClass);
      await expect(reading).rejects.toMatchObject({ message: `mid-stream ${type}` });
      expect(eventNames(seen)).toEqual(['output', 'output']);
    },
  );

  it.each(INVOKE_AGENT_STREAM_EXCEPTION_TYPES.map(withClass))('mid-stream %s on InvokeAgent', async (type, errorClass) => {
    emulator.inject({ match: { resourceId: 'AGENT1' }, streamException: { type, afterFrames: 1 } });
    const response = await bearerClient().send(new InvokeAgentCommand({ ...AGENT, enableTrace: true }));
    const seen: ResponseStream[] = [];
    const reading = (async () => {
      for await (const event of response.completion ?? []) seen.push(event);
    })();
    await expect(reading).rejects.toBeInstanceOf(errorClass);
    expect(eventNames(seen)).toEqual(['trace']);
  });
});

describe('stream faults and matching on the Agent Runtime streams', () => {
  it('match by resource id: the knowledge base of the body, the agent of the path', async () => {
    emulator.inject({ match: { resourceId: 'OTHER_KB' }, error: { type: 'ThrottlingException' } });
    emulator.inject({ match: { resourceId: 'AGENT2' }, error: { type: 'ConflictException' } });
    await expect(sigv4Client().send(new RetrieveAndGenerateCommand(RAG))).resolves.toBeDefined();
    await expect(sigv4Client().send(new InvokeAgentCommand(AGENT))).resolves.toBeDefined();
    await expect(sigv4Client().send(new InvokeAgentCommand({ ...AGENT, agentId: 'AGENT2' }))).rejects.toBeInstanceOf(ConflictException);
    const otherKb = sigv4Client().send(
      new RetrieveCommand({ knowledgeBaseId: 'OTHER_KB', retrievalQuery: { text: 'q' } }),
    );
    await expect(otherKb).rejects.toBeInstanceOf(ThrottlingException);
  });

  it('cuts an InvokeAgent stream in the middle of a frame', async () => {
    emulator.inject({ cutConnection: { afterFrames: 1, midFrame: true } });
    const response = await sigv4Client().send(new InvokeAgentCommand({ ...AGENT, enableTrace: true }));
    const seen: ResponseStream[] = [];
    const reading = (async () => {
      for await (const event of response.completion ?? []) seen.push(event);
    })();
    await expect(reading).rejects.toThrow();
    expect(seen).toHaveLength(1);
    expect(emulator.requests[0]?.outcome).toBe('connection-cut');
  });

  it('sends a frame with a bad checksum on RetrieveAndGenerateStream', async () => {
    emulator.inject({ corruptFrame: { afterFrames: 1 } });
    const response = await sigv4Client().send(new RetrieveAndGenerateStreamCommand(RAG));
    await expect(collect(response.stream)).rejects.toThrow(/checksum/);
  });

  it('paces frames and delays the first byte, with the reply text it is told', async () => {
    emulator.inject({ firstByteDelayMs: 60, chunkDelayMs: 15, replyText: 'one two three four' });
    const started = Date.now();
    const response = await sigv4Client().send(
      new InvokeAgentCommand({ ...AGENT, streamingConfigurations: { streamFinalResponse: true } }),
    );
    const events = await collect<ResponseStream>(response.completion);
    expect(events.map((event) => decode(event.chunk?.bytes))).toEqual(['one ', 'two ', 'three ', 'four']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60 + 3 * 15 - 10);
  });
});

describe('validation', () => {
  it.each([
    ['Retrieve', () => new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: undefined }), ["Value null at 'retrievalQuery'"]],
    [
      'RetrieveAndGenerate',
      () =>
        new RetrieveAndGenerateCommand({
          input: undefined,
          retrieveAndGenerateConfiguration: { type: 'KNOWLEDGE_BASE', knowledgeBaseConfiguration: { knowledgeBaseId: KB_ID, modelArn: undefined } },
        }),
      ["Value null at 'input'", "Value null at 'retrieveAndGenerateConfiguration.knowledgeBaseConfiguration.modelArn'"],
    ],
    [
      'RetrieveAndGenerateStream',
      () => new RetrieveAndGenerateStreamCommand({ input: { text: undefined } }),
      ["Value null at 'input.text'"],
    ],
    [
      'Rerank',
      () => new RerankCommand({ ...RERANK, queries: [{ type: undefined, textQuery: { text: 'q' } }], sources: undefined }),
      ["Value null at 'sources'", "Value null at 'queries.1.member.type'"],
    ],
  ] as const)('%s names every missing required member', async (_name, command, problems) => {
    const call = sigv4Client().send(command() as never);
    await expect(call).rejects.toBeInstanceOf(ValidationException);
    const error = (await call.catch((caught: unknown) => caught)) as Error;
    expect(error.message).toMatch(new RegExp(`^${problems.length} validation errors? detected: `));
    for (const problem of problems) expect(error.message).toContain(problem);
  });

  it('refuses an InvokeAgent body that is not a JSON object', async () => {
    const response = await fetch(`${emulator.url}/agents/A/agentAliases/B/sessions/C/text`, {
      method: 'POST',
      headers: { authorization: `Bearer ${EMULATOR_API_KEY}` },
      body: '[1, 2]',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^ValidationException:/);
  });
});
