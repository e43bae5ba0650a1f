/**
 * Retries with failover: which failures move to another deployment, streams that fail inside a 200, failures after
 * the first frame, timeouts and fallback groups — against emulators in three regions.
 */
import { ConverseStreamCommand, InternalServerException, type ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import { EventStreamDecoder } from '../../lib/aws/eventstream';
import type { BedrockErrorType } from '../../lib/aws/bedrock-errors';
import type { Deployment, PassthroughOptions, UsageRecord } from '../../lib/types';
import { ANTHROPIC_BODY, CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { useThreeRegions } from '../support/regions';
import { MASTER_KEY, deploymentOn, post, sdkClient, withGateway, type RunningGateway } from '../support/gateway';

const CONVERSE = JSON.stringify({ messages: MESSAGES });

const regions = useThreeRegions(true);


/** Prefers deployments in this order, among the candidates the router offers: makes failover deterministic. */
function prefer(...ids: string[]) {
  return (candidates: readonly Deployment[]) =>
    [...candidates].sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id))[0];
}

function gatewayOptions(extra: Partial<PassthroughOptions> = {}): PassthroughOptions & { records: UsageRecord[] } {
  const records: UsageRecord[] = [];
  return {
    model_list: [
      deploymentOn(regions.east, 'claude', CLAUDE_ID, {}, { id: 'east' }),
      deploymentOn(regions.west, 'claude', CLAUDE_ID, {}, { id: 'west' }),
      deploymentOn(regions.eu, 'nova', 'amazon.nova-lite-v1:0', {}, { id: 'eu-nova' }),
    ],
    general_settings: { master_key: MASTER_KEY },
    balancer: prefer('east', 'west', 'eu-nova'),
    costTracker: { record: (usage) => void records.push(usage) },
    records,
    ...extra,
  };
}

async function lastRecord(records: UsageRecord[]): Promise<UsageRecord | undefined> {
  for (let waited = 0; records.length === 0 && waited < 1000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
  return records.at(-1);
}

describe('retryable failures move to another deployment', () => {
  const retryable: Array<[string, BedrockErrorType, number | undefined]> = [
    ['ThrottlingException (429)', 'ThrottlingException', undefined],
    ['ModelNotReadyException (429)', 'ModelNotReadyException', undefined],
    ['InternalServerException (500)', 'InternalServerException', undefined],
    ['a 502', 'InternalServerException', 502],
    ['ServiceUnavailableException (503)', 'ServiceUnavailableException', undefined],
    ['a 504', 'ServiceUnavailableException', 504],
  ];

  it.each(retryable)('%s', async (_label, type, status) => {
    const options = gatewayOptions();
    await withGateway(options, async (gateway) => {
      regions.east.inject({ error: { type, status } });
      const response = await post(gateway, '/model/claude/converse', CONVERSE);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-bedrock-passthrough-deployment')).toBe('west');
      expect(response.headers.get('x-bedrock-passthrough-attempts')).toBe('2');
      expect(await response.text()).toContain('from west');
      const record = await lastRecord(options.records);
      expect(record?.attempts).toEqual([
        expect.objectContaining({ deploymentId: 'east', status: status ?? expect.any(Number), errorType: type, outcome: 'failed' }),
        expect.objectContaining({ deploymentId: 'west', status: 200, outcome: 'served' }),
      ]);
      expect(record).toMatchObject({ deploymentId: 'west', status: 200, region: 'us-west-2' });
    });
  });

  it('a refused connection', async () => {
    const options = gatewayOptions();
    options.model_list[0] = deploymentOn(regions.east, 'claude', CLAUDE_ID, { aws_bedrock_runtime_endpoint: 'http://127.0.0.1:9' }, { id: 'east' });
    await withGateway(options, async (gateway) => {
      const response = await post(gateway, '/model/claude/converse', CONVERSE);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-bedrock-passthrough-deployment')).toBe('west');
      expect((await lastRecord(options.records))?.attempts[0]).toMatchObject({ deploymentId: 'east', errorType: 'ECONNREFUSED' });
    });
  });

  it('a timeout before the first byte', async () => {
    const options = gatewayOptions({ router_settings: { timeout: 0.3 } });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ firstByteDelayMs: 3000 });
      const started = Date.now();
      const response = await post(gateway, '/model/claude/converse', CONVERSE);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-bedrock-passthrough-deployment')).toBe('west');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(regions.east.requests[0]?.outcome).toBe('client-aborted');
    });
  });

  it('answers with the last failure, unchanged, once every attempt failed', async () => {
    const options = gatewayOptions({ router_settings: { num_retries: 3 } });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ error: { type: 'ThrottlingException', message: 'east is busy', retryAfterSeconds: 0 }, times: 10 });
      regions.west.inject({ error: { type: 'ServiceUnavailableException', message: 'west is down' }, times: 10 });
      const response = await post(gateway, '/model/claude/converse', CONVERSE);
      expect(response.status).toBe(503);
      expect(response.headers.get('x-amzn-errortype')?.split(':')[0]).toBe('ServiceUnavailableException');
      expect(await response.json()).toEqual({ message: 'west is down' });
      expect(response.headers.get('x-bedrock-passthrough-attempts')).toBe('4');
    });
  });

  it('gives a timeout error when every attempt timed out', async () => {
    const options = gatewayOptions({ router_settings: { timeout: 0.2, num_retries: 1 } });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ firstByteDelayMs: 2000 });
      regions.west.inject({ firstByteDelayMs: 2000 });
      const response = await post(gateway, '/model/claude/converse', CONVERSE);
      expect(response.status).toBe(408);
      expect(response.headers.get('x-amzn-errortype')).toBe('ModelTimeoutException');
    });
  });
});

describe('client errors are not retried', () => {
  it.each([
    ['ValidationException', 400],
    ['AccessDeniedException', 403],
    ['ResourceNotFoundException', 404],
    ['ValidationException', 413],
    ['ModelTimeoutException', 408],
  ] as Array<[BedrockErrorType, number]>)('%s (%d)', async (type, status) => {
    const options = gatewayOptions();
    await withGateway(options, async (gateway) => {
      regions.east.inject({ error: { type, status, message: 'your request' } });
      const response = await post(gateway, '/model/claude/converse', CONVERSE);
      expect(response.status).toBe(status);
      expect(await response.json()).toEqual({ message: 'your request' });
      expect(response.headers.get('x-bedrock-passthrough-attempts')).toBe('1');
      expect(regions.west.requests).toHaveLength(0);
    });
  });
});

describe('streams that fail inside a 200', () => {
  it.each([
    ['converse-stream', CONVERSE],
    ['invoke-with-response-stream', ANTHROPIC_BODY],
  ])('%s: a retryable first frame moves to another deployment, and the client sees one clean stream', async (operation, body) => {
    const options = gatewayOptions();
    await withGateway(options, async (gateway) => {
      regions.east.inject({ streamException: { type: 'throttlingException', afterFrames: 0 } });
      const response = await post(gateway, `/model/claude/${operation}`, body);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-bedrock-passthrough-deployment')).toBe('west');
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.equals(regions.west.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    });
  });

  it('a first frame that is the request’s own fault is passed on as it came', async () => {
    const options = gatewayOptions();
    await withGateway(options, async (gateway) => {
      regions.east.inject({ streamException: { type: 'validationException', message: 'bad tool spec', afterFrames: 0 } });
      const response = await post(gateway, '/model/claude/converse-stream', CONVERSE);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.equals(regions.east.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
      expect(regions.west.requests).toHaveLength(0);
    });
  });

  it('a stream whose every attempt fails first ends as the last one did', async () => {
    const options = gatewayOptions({ router_settings: { num_retries: 1 } });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ streamException: { type: 'serviceUnavailableException', afterFrames: 0 } });
      regions.west.inject({ streamException: { type: 'throttlingException', message: 'west throttled', afterFrames: 0 } });
      const response = await post(gateway, '/model/claude/converse-stream', CONVERSE);
      expect(response.status).toBe(200);
      const [frame] = new EventStreamDecoder().push(Buffer.from(await response.arrayBuffer()));
      expect(frame?.headers[':exception-type']?.value).toBe('throttlingException');
    });
  });
});

describe('failures after the first frame reached the client', () => {
  async function framesOf(gateway: RunningGateway) {
    const response = await post(gateway, '/model/claude/converse-stream', CONVERSE);
    const decoder = new EventStreamDecoder();
    const frames = decoder.push(Buffer.from(await response.arrayBuffer()));
    expect(decoder.end()).toBeUndefined();
    return frames;
  }

  it.each([
    ['a connection cut inside a frame', { cutConnection: { afterFrames: 3, midFrame: true } }],
    ['a corrupt frame', { corruptFrame: { afterFrames: 3 } }],
  ])('%s ends the stream with a well-formed internalServerException frame', async (_label, fault) => {
    const options = gatewayOptions();
    await withGateway(options, async (gateway) => {
      regions.east.inject(fault);
      const frames = await framesOf(gateway);
      expect(frames).toHaveLength(4);
      expect(frames.slice(0, 3).every((frame) => frame.headers[':message-type']?.value === 'event')).toBe(true);
      expect(frames[3]?.headers).toMatchObject({ ':message-type': { value: 'exception' }, ':exception-type': { value: 'internalServerException' } });
      expect(JSON.parse(Buffer.from(frames[3]?.body ?? []).toString()).message).toMatch(/^The stream from deployment east failed: /);
      expect(regions.west.requests).toHaveLength(0);
      expect(await lastRecord(options.records)).toMatchObject({ outcome: 'upstream-failed', deploymentId: 'east' });
    });
  });

  it('a silence longer than stream_timeout ends the stream the same way', async () => {
    const options = gatewayOptions({ router_settings: { stream_timeout: 0.2 } });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ chunkDelayMs: 1000 });
      const frames = await framesOf(gateway);
      expect(frames.at(-1)?.headers[':exception-type']?.value).toBe('internalServerException');
      expect(JSON.parse(Buffer.from(frames.at(-1)?.body ?? []).toString()).message).toContain('no event for 0.2 s');
    });
  });

  it('a stream still running when the whole call’s timeout passes ends the same way, and is recorded as a timeout', async () => {
    const options = gatewayOptions({ router_settings: { timeout: 0.3 } });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ chunkDelayMs: 100 });
      const frames = await framesOf(gateway);
      expect(frames.length).toBeGreaterThan(1);
      expect(frames.at(-1)?.headers[':exception-type']?.value).toBe('internalServerException');
      expect(JSON.parse(Buffer.from(frames.at(-1)?.body ?? []).toString()).message).toContain('the call took longer than its timeout');
      expect(await lastRecord(options.records)).toMatchObject({ outcome: 'upstream-failed', errorType: 'StreamTimeout' });
    });
  });

  it('the AWS SDK raises it as InternalServerException', async () => {
    await withGateway(gatewayOptions(), async (gateway) => {
      regions.east.inject({ cutConnection: { afterFrames: 2, midFrame: true } });
      const response = await sdkClient(gateway).send(new ConverseStreamCommand({ modelId: 'claude', messages: MESSAGES }));
      const events: ConverseStreamOutput[] = [];
      const reading = (async () => {
        for await (const event of response.stream ?? []) events.push(event);
      })();
      await expect(reading).rejects.toBeInstanceOf(InternalServerException);
      expect(events).toHaveLength(2);
    });
  });
});

describe('fallbacks', () => {
  it('move to the fallback group once the group is exhausted, with the fallback’s model id', async () => {
    const options = gatewayOptions({ router_settings: { num_retries: 1, fallbacks: [{ claude: ['nova'] }] } });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ error: { type: 'ServiceUnavailableException' }, times: 5 });
      regions.west.inject({ error: { type: 'ServiceUnavailableException' }, times: 5 });
      const response = await post(gateway, '/model/claude/converse', CONVERSE);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-bedrock-passthrough-deployment')).toBe('eu-nova');
      expect(regions.eu.requests[0]?.modelId).toBe('amazon.nova-lite-v1:0');
      expect(regions.eu.requests[0]?.body.toString()).toBe(CONVERSE);
      const record = await lastRecord(options.records);
      expect(record?.modelName).toBe('claude');
      expect(record?.attempts.map((attempt) => [attempt.modelName, attempt.deploymentId, attempt.outcome])).toEqual([
        ['claude', 'east', 'failed'],
        ['claude', 'west', 'failed'],
        ['nova', 'eu-nova', 'served'],
      ]);
    });
  });
});
