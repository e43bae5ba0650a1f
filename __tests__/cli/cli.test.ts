/** The standalone server as users run it, `node dist/cli.js --config file`, in front of an emulator. */
import { request as httpRequest } from 'node:http';
import { EventStreamDecoder, type EventStreamFrame } from '../../lib/aws/eventstream';
import { EMULATOR_CREDENTIALS, startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MASTER_KEY, configYaml, startCli as startCliOn } from './cli-server';
import { CLI, runNode, stopAllProcesses, temporaryDirectory, type RunningProcess } from './processes';

const CONVERSE_BODY = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }] });
const LONG_REPLY = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');

let emulator: BedrockEmulator;
let directory: ReturnType<typeof temporaryDirectory>;
let configFile: string;

const startCli = (extraArgs: readonly string[] = []) => startCliOn(configFile, extraArgs);

function post(url: string, operation: string): Promise<Response> {
  return fetch(`${url}/model/claude/${operation}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: CONVERSE_BODY,
  });
}

/** The event types of a complete event stream. */
function eventTypes(bytes: Buffer): string[] {
  const decoder = new EventStreamDecoder();
  const frames: EventStreamFrame[] = [...decoder.push(bytes)];
  expect(decoder.error).toBeUndefined();
  expect(decoder.pendingBytes).toBe(0);
  return frames.map((frame) => String(frame.headers[':event-type']?.value));
}

/** Reads a response body to its end, after the chunks already read. */
async function readRest(reader: ReadableStreamDefaultReader<Uint8Array>, first: Uint8Array[]): Promise<Buffer> {
  const chunks = [...first];
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  return Buffer.concat(chunks);
}

/** A GET on a fresh connection (never a pooled one), to see whether the server still accepts connections. */
function getOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a slow ConverseStream through the CLI and returns once its first bytes arrived. */
async function openSlowStream(url: string, chunkDelayMs: number, replyText?: string) {
  emulator.inject({ match: { operation: 'converse-stream' }, chunkDelayMs, ...(replyText ? { replyText } : {}) });
  const response = await post(url, 'converse-stream');
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const first = await reader.read();
  return { reader, first: first.done ? [] : [first.value] };
}

beforeAll(async () => {
  emulator = await startBedrockEmulator({ region: 'us-east-1' });
  directory = temporaryDirectory();
  configFile = directory.write('config.yaml', configYaml(emulator));
});
beforeEach(() => emulator.reset());
afterAll(async () => {
  await stopAllProcesses();
  await emulator.close();
  directory.remove();
});

describe('the command line', () => {
  afterEach(stopAllProcesses);

  it('--help prints the usage and exits 0', async () => {
    const result = await runNode([CLI, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: bedrock-passthrough --config <file>/);
    for (const flag of ['--config', '--port', '--host', '--log-level', '--grace-period', '--tls-key', '--tls-cert']) expect(result.stdout).toContain(flag);
  });

  // Every message is checked in arguments.test.ts; here, how the program reports one.
  it.each([
    [['--port', '4000'], /^bedrock-passthrough: --config <file> is required\.$/m],
    [['--config', 'x.yaml', '--prot', '4000'], /^bedrock-passthrough: Unknown option '--prot'/m],
  ])('bad arguments %j: a clear message and exit 2', async (args, message) => {
    const result = await runNode([CLI, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain("Run 'bedrock-passthrough --help' for usage.");
    expect(result.stdout).toBe('');
  });

  it('an invalid configuration: every problem printed, exit 1, no stack trace', async () => {
    const file = directory.write(
      'invalid.yaml',
      `model_list:
  - model_name: claude
    litellm_params:
      aws_region_name: us-east-1
  - model_name: nova
    litellm_params:
      model: bedrock/amazon.nova-lite-v1:0
      aws_region_name: us-east-1
      rpm: lots
router_settings:
  routing_strategy: fastest
`,
    );
    const result = await runNode([CLI, '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`bedrock-passthrough: cannot start with the configuration ${file} (4 problems):`);
    expect(result.stderr).toContain('  - model_list[0].litellm_params.model: required');
    expect(result.stderr).toContain('  - model_list[1].litellm_params.rpm: must be a whole number');
    expect(result.stderr).toMatch(/ {2}- router_settings\.routing_strategy: must be one of/);
    expect(result.stderr).toMatch(/ {2}- general_settings\.master_key: required/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('a missing configuration file: says so, exit 1', async () => {
    const missing = `${directory.path}/nowhere.yaml`;
    const result = await runNode([CLI, '--config', missing]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${missing}: file not found`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('a port already taken: says so, exit 1', async () => {
    const { url } = await startCli();
    const port = new URL(url).port;
    const result = await runNode([CLI, '--config', configFile, '--host', '127.0.0.1', '--port', port]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`bedrock-passthrough: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`);
  });
});

describe('serving', () => {
  let cli: RunningProcess;
  let url: string;
  let origin: string;

  beforeAll(async () => {
    ({ cli, url } = await startCli());
    origin = new URL(url).origin;
  });
  afterAll(stopAllProcesses);

  it('prints where it listens, and logs JSON lines, on stdout (config warnings included)', () => {
    const lines = cli.stdout().trim().split('\n');
    expect(lines).toContain(`bedrock-passthrough listening on ${url}`);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bedrock$/);
    expect(cli.stderr()).toBe('');
    const logs = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'general_settings.database_url: not used by bedrock-passthrough, ignored' }),
    );
    expect(logs).toContainEqual(expect.objectContaining({ level: 'info', msg: 'listening', endpoint: url, deployments: 2 }));
  });

  it('GET /health: liveness', async () => {
    const response = await fetch(`${origin}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /bedrock/health: readiness with the deployments, and no secret', async () => {
    const response = await fetch(`${origin}/bedrock/health`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      status: 'ok',
      deployments: [
        { id: 'claude-east', modelName: 'claude', modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0', region: 'us-east-1', endpoint: emulator.url },
        { id: expect.stringMatching(/^d-[0-9a-f]{12}$/), modelName: 'nova', modelId: 'amazon.nova-lite-v1:0', region: 'us-east-1', endpoint: emulator.url },
      ],
    });
    for (const secret of [MASTER_KEY, EMULATOR_CREDENTIALS.accessKeyId, EMULATOR_CREDENTIALS.secretAccessKey, 'litellm-db-password']) {
      expect(text).not.toContain(secret);
    }
  });

  it('Converse through it with a Bearer key', async () => {
    const response = await post(url, 'converse');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { output: { message: { content: Array<{ text: string }> } } };
    expect(body.output.message.content[0]?.text).toBe('Hello from the Bedrock emulator. This answer is canned.');
    expect(emulator.requests).toHaveLength(1);
    expect(emulator.requests[0]?.auth).toMatchObject({ scheme: 'sigv4', accepted: true });
    // The request is logged on stdout, at the default level (info), with the documented snake_case fields.
    const [line] = await cli.waitFor(/^\{.*"msg":"request".*\}$/m);
    const logged = JSON.parse(line) as Record<string, unknown>;
    for (const field of ['request_id', 'key_name', 'model_group', 'deployment_id', 'model_id', 'region', 'operation', 'streamed', 'status',
      'input_tokens', 'output_tokens', 'cost_usd', 'latency_ms', 'ttfb_ms', 'overhead_ms', 'attempts']) {
      expect([field, field in logged]).toEqual([field, true]);
    }
    expect(logged).toMatchObject({ key_name: 'master', model_group: 'claude', deployment_id: 'claude-east', operation: 'converse', status: 200 });
  });

  it('GET /metrics: Prometheus metrics of the requests served', async () => {
    await post(url, 'converse');
    const response = await fetch(`${origin}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/bedrock_passthrough_requests_total\{[^}]*model_name="claude"[^}]*\} [1-9]/);
    expect(text).toContain('bedrock_passthrough_deployment_cooling_down');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).not.toContain(MASTER_KEY);
  });

  it('refuses a wrong key', async () => {
    const response = await fetch(`${url}/model/claude/converse`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-wrong', 'content-type': 'application/json' },
      body: CONVERSE_BODY,
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    expect(emulator.requests).toHaveLength(0);
  });

  it.each(['/', '/v1/chat/completions', '/bedrockx/model/claude/converse', '/healthz'])(
    '%s, outside /bedrock: 404 in Bedrock error format',
    async (path) => {
      const response = await fetch(`${origin}${path}`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(404);
      expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
      expect(Object.keys((await response.json()) as object)).toEqual(['message']);
    },
  );
});

describe('shutdown', () => {
  afterEach(stopAllProcesses);

  it('SIGTERM while a stream is in flight: no new connections, the stream completes, exit 0', async () => {
    const { cli, url } = await startCli();
    const { reader, first } = await openSlowStream(url, 60);

    cli.child.kill('SIGTERM');
    await cli.waitFor(/"msg":"shutting down"/);
    await expect(getOnNewConnection(`${new URL(url).origin}/health`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const types = eventTypes(await readRest(reader, first));
    expect(types[0]).toBe('messageStart');
    expect(types.at(-1)).toBe('metadata');
    // Its connection, kept alive by fetch, is closed once the stream is done: no wait for a keep-alive timeout.
    const streamEnded = Date.now();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - streamEnded).toBeLessThan(1000);
    expect(cli.stdout()).toContain('"msg":"stopped"');
  });

  it('idle keep-alive connections do not hold it up', async () => {
    const { cli, url } = await startCli();
    // fetch keeps its connection open for reuse: the server must close it at once rather than wait 30 s.
    expect((await post(url, 'converse')).status).toBe(200);
    expect((await fetch(`${new URL(url).origin}/health`)).status).toBe(200);
    const started = Date.now();
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('cuts what is still running when the grace period ends, and exits 0', async () => {
    const { cli, url } = await startCli(['--grace-period', '0.3']);
    const { reader, first } = await openSlowStream(url, 100, LONG_REPLY);

    cli.child.kill('SIGTERM');
    await expect(readRest(reader, first)).rejects.toThrow();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toMatch(/"level":"warn".*"cutResponses":1.*"msg":"grace period over/);
  });

  it('a second signal exits at once', async () => {
    const { cli, url } = await startCli();
    const { reader } = await openSlowStream(url, 100, LONG_REPLY);

    cli.child.kill('SIGINT');
    await cli.waitFor(/"msg":"shutting down"/);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 143, signal: null });
    await reader.cancel().catch(() => undefined);
  });
});
