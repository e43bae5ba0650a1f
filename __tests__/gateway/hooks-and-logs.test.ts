/** Hooks the host passes, the per-request log line, and redaction of every secret the gateway knows. */
import { GatewayError } from '../../lib/errors';
import { EMULATOR_CREDENTIALS, startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import type { Logger, PassthroughOptions, UsageRecord } from '../../lib/types';
import { CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn, post, withGateway } from '../support/gateway';

const CONVERSE = JSON.stringify({ messages: MESSAGES });
const TEAM_KEY = 'sk-team-secret-key-0042';

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

/** A logger that keeps every line, as the host's pino would write it. */
function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (fields: object, message?: string) => void lines.push(JSON.stringify({ level, ...fields, msg: message }));
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function settled(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 30));
}

function options(extra: Partial<PassthroughOptions>): PassthroughOptions {
  return {
    model_list: [deploymentOn(emulator, 'claude', CLAUDE_ID, {}, { id: 'east' })],
    general_settings: { master_key: MASTER_KEY },
    keys: [{ key: TEAM_KEY, name: 'team-a' }],
    ...extra,
  };
}

describe('hooks', () => {
  it('onRequest annotates the record, and refuses with a GatewayError', async () => {
    const records: UsageRecord[] = [];
    const hooks = {
      onRequest: ({ principal, headers }: { principal: { keyName: string }; headers: Record<string, unknown> }) => {
        if (headers['x-user'] === 'banned') throw new GatewayError('AccessDeniedException', 'This user is suspended.');
        return { team: principal.keyName, user: headers['x-user'] };
      },
      onResponse: (record: UsageRecord) => void records.push(record),
    };
    await withGateway(options({ hooks }), async (gateway) => {
      const ok = await post(gateway, '/model/claude/converse', CONVERSE, { 'x-api-key': TEAM_KEY, 'x-user': 'ada', 'content-type': 'application/json' });
      expect(ok.status).toBe(200);
      const refused = await post(gateway, '/model/claude/converse', CONVERSE, { 'x-api-key': TEAM_KEY, 'x-user': 'banned', 'content-type': 'application/json' });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ message: 'This user is suspended.' });
      await settled();
      expect(emulator.requests).toHaveLength(1);
      expect(records[0]?.annotations).toEqual({ team: 'team-a', user: 'ada' });
    });
  });

  it('a hook that throws never breaks the call', async () => {
    const logger = capturingLogger();
    const onError = jest.fn(() => {
      throw new Error('error hook down');
    });
    const hooks = {
      onRequest: () => {
        throw new Error('request hook down');
      },
      onResponse: async () => {
        throw new Error('response hook down');
      },
      onError,
    };
    await withGateway(options({ hooks, logger }), async (gateway) => {
      expect((await post(gateway, '/model/claude/converse', CONVERSE)).status).toBe(200);
      emulator.inject({ error: { type: 'ValidationException' } });
      expect((await post(gateway, '/model/claude/converse', CONVERSE)).status).toBe(400);
      await settled();
      expect(onError).toHaveBeenCalledTimes(1);
      expect(onError.mock.calls[0]).toEqual([expect.objectContaining({ status: 400, errorType: 'ValidationException' })]);
      const failures = logger.lines.filter((line) => /hook failed/.test(line));
      expect(failures.map((line) => (JSON.parse(line) as { msg: string }).msg).sort()).toEqual([
        'onError hook failed',
        'onRequest hook failed',
        'onRequest hook failed',
        'onResponse hook failed',
        'onResponse hook failed',
      ]);
    });
  });
});

describe('logs', () => {
  it('are silent by default', async () => {
    const write = jest.spyOn(process.stdout, 'write');
    const writeError = jest.spyOn(process.stderr, 'write');
    try {
      await withGateway(options({}), async (gateway) => {
        expect((await post(gateway, '/model/claude/converse', CONVERSE)).status).toBe(200);
      });
      expect(write).not.toHaveBeenCalled();
      expect(writeError).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
      writeError.mockRestore();
    }
  });

  it('one request line in snake_case, and never a key, a secret or (by default) a body, on any path', async () => {
    const logger = capturingLogger();
    const secretEndpoint = deploymentOn(emulator, 'broken', CLAUDE_ID, { aws_bedrock_runtime_endpoint: 'http://127.0.0.1:9' });
    const gatewayOptions = options({ logger, model_list: [deploymentOn(emulator, 'claude', CLAUDE_ID, {}, { id: 'east' }), secretEndpoint] });
    await withGateway(gatewayOptions, async (gateway) => {
      const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'my private prompt' }] }] });
      const headers = { 'x-api-key': TEAM_KEY, 'content-type': 'application/json', 'x-amz-security-token': 'client-session-token-1' };
      await post(gateway, '/model/claude/converse', body, headers);
      await post(gateway, '/model/claude/converse-stream', body, headers);
      await post(gateway, '/model/broken/converse', body, headers);
      await post(gateway, '/model/claude/converse', body, { ...headers, 'x-api-key': 'sk-wrong-guess-123' });
      await post(gateway, '/model/claude/converse', '{not json', headers);
      emulator.inject({ error: { type: 'ValidationException', message: `echo ${TEAM_KEY}` } });
      await post(gateway, '/model/claude/converse', body, headers);
      await settled();
    });
    const all = logger.lines.join('\n');
    for (const secret of [TEAM_KEY, MASTER_KEY, EMULATOR_CREDENTIALS.secretAccessKey, 'client-session-token-1', 'sk-wrong-guess-123', 'my private prompt', 'Hello from the Bedrock emulator']) {
      expect([secret, all.includes(secret)]).toEqual([secret, false]);
    }
    const requestLines = logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['msg'] === 'request');
    expect(requestLines).toHaveLength(6);
    expect(requestLines[0]).toMatchObject({ level: 'info', key_name: 'team-a', model_group: 'claude', deployment_id: 'east', operation: 'converse', status: 200, streamed: false });
    expect(requestLines[1]).toMatchObject({ operation: 'converse-stream', streamed: true, status: 200 });
    expect(requestLines[2]).toMatchObject({ model_group: 'broken', status: 503, error_type: 'ECONNREFUSED' });
    expect(requestLines[3]).toMatchObject({ status: 403, error_type: 'AccessDeniedException' });
    expect(requestLines[4]).toMatchObject({ status: 400, error_type: 'ValidationException' });
  });

  it('carry the bodies when the host opts in, secrets still redacted', async () => {
    const logger = capturingLogger();
    await withGateway(options({ logger, logBodies: true }), async (gateway) => {
      const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: `remember ${TEAM_KEY}` }] }] });
      await post(gateway, '/model/claude/converse', body, { 'x-api-key': TEAM_KEY, 'content-type': 'application/json' });
      await settled();
    });
    const line = logger.lines.map((text) => JSON.parse(text) as Record<string, string>).find((entry) => entry['msg'] === 'request');
    expect(line?.['request_body']).toContain('remember [redacted]');
    expect(line?.['response_body']).toContain('Hello from the Bedrock emulator');
  });
});
