/**
 * One full run of the CLI as users run it (`node dist/cli.js`, JSON logs at debug level, the admin API, metrics, a
 * password-protected Redis), configured with AWS credentials, a session token, an upstream API key, client keys and
 * SigV4 client credentials. A mix of everything — successes, streams, upstream errors and failures, refused keys and
 * signatures, bad requests, admin pages, health, metrics, a graceful stop — and then every byte captured is scanned
 * for every configured secret: stdout, stderr, each response's status, headers and body, and each request the
 * upstream received (where only the deployment's own credentials may appear, in the headers that carry them).
 */
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpRequest, HttpResponse } from '@smithy/protocol-http';
import type { HttpHandlerOptions } from '@smithy/types';
import { Readable } from 'node:stream';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { startCli } from '../cli/cli-server';
import { stopAllProcesses, temporaryDirectory, type RunningProcess } from '../cli/processes';
import { RedisServer, redisServerInstalled } from '../support/redis-server';

/** Never to be seen anywhere but where noted. */
const SECRET = {
  deploymentSecretKey: 'deploy/Secret+Key/9f8e7d6c5b4a39281706',
  /** Sent upstream in `x-amz-security-token`, as SigV4 requires, and nowhere else. */
  deploymentSessionToken: 'FwoGZXIvYXdzEBYaDSessionTokenForTheScan0123456789',
  /** Sent upstream as `Authorization: Bearer`, to the deployment that uses it, and nowhere else. */
  upstreamApiKey: 'ABSKupstream-bedrock-api-key-for-the-scan-5566',
  brokenDeploymentSecretKey: 'wrong/Secret/Key/of/the/broken/deployment',
  masterKey: 'sk-master-secrets-scan-1234abcd',
  teamKey: 'sk-team-secrets-scan-5678efgh',
  clientSigningSecret: 'client/signing/secret/for-the-scan-abcd1234',
  redisPassword: 'redis-password-for-the-scan-4321',
  databasePassword: 'litellm-db-password-for-the-scan-8765',
} as const;
/** Identifiers, not secrets: still never shown to clients or logged. The deployment's goes upstream in its credential scope. */
const DEPLOYMENT_ACCESS_KEY_ID = 'AKIASCANDEPLOY000001';
const CLIENT_ACCESS_KEY_ID = 'GWSCANCLIENT00000001';
/** A deployment's endpoint on a host that does not resolve: its name must not reach clients in errors. */
const INTERNAL_HOST = 'bedrock-runtime.internal-corp.invalid';

const CONVERSE_BODY = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }] });

let emulator: BedrockEmulator;
let redis: RedisServer | undefined;
let directory: ReturnType<typeof temporaryDirectory>;

beforeAll(async () => {
  emulator = await startBedrockEmulator({
    credentials: [{ accessKeyId: DEPLOYMENT_ACCESS_KEY_ID, secretAccessKey: SECRET.deploymentSecretKey, sessionToken: SECRET.deploymentSessionToken }],
    apiKeys: [SECRET.upstreamApiKey],
  });
  if (redisServerInstalled()) {
    redis = await RedisServer.start();
    await redis.configure('requirepass', SECRET.redisPassword);
  }
  directory = temporaryDirectory();
});
afterAll(async () => {
  await stopAllProcesses();
  await redis?.stop();
  await emulator.close();
  directory.remove();
});

function configYaml(): string {
  const at = `aws_region_name: ${emulator.region}\n      aws_bedrock_runtime_endpoint: ${emulator.url}`;
  const signed = `aws_access_key_id: ${DEPLOYMENT_ACCESS_KEY_ID}\n      aws_secret_access_key: os.environ/SCAN_DEPLOYMENT_SECRET\n      aws_session_token: ${SECRET.deploymentSessionToken}`;
  const redisSettings = redis ? `\n  redis_host: 127.0.0.1\n  redis_port: ${redis.port}\n  redis_password: ${SECRET.redisPassword}` : '';
  return `model_list:
  - model_name: claude
    litellm_params:
      model: bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0
      ${at}
      ${signed}
  - model_name: nova
    litellm_params:
      model: bedrock/amazon.nova-lite-v1:0
      ${at}
      api_key: ${SECRET.upstreamApiKey}
  - model_name: broken
    litellm_params:
      model: bedrock/amazon.nova-lite-v1:0
      ${at}
      aws_access_key_id: ${DEPLOYMENT_ACCESS_KEY_ID}
      aws_secret_access_key: ${SECRET.brokenDeploymentSecretKey}
  - model_name: offline
    litellm_params:
      model: bedrock/amazon.nova-lite-v1:0
      aws_region_name: ${emulator.region}
      aws_bedrock_runtime_endpoint: http://${INTERNAL_HOST}
      ${signed}
router_settings:
  num_retries: 0${redisSettings}
general_settings:
  master_key: ${SECRET.masterKey}
  max_request_size_mb: 1
  database_url: postgres://litellm:${SECRET.databasePassword}@localhost/litellm
keys:
  - name: team
    key: ${SECRET.teamKey}
  - name: signing-team
    access_key_id: ${CLIENT_ACCESS_KEY_ID}
    secret_access_key: ${SECRET.clientSigningSecret}
`;
}

/** Every response the clients saw, as text (status, headers, body), by the path asked for. */
const seenByClients: Array<{ readonly path: string; readonly text: string }> = [];

async function call(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, init);
  const body = await response.text();
  seenByClients.push({ path: new URL(url).pathname, text: `${response.status} ${JSON.stringify([...response.headers])} ${body}` });
  return new Response(body, { status: response.status, headers: response.headers });
}

/** The SDK's HTTP/1.1 handler, recording each response whole before the SDK reads it. */
class RecordingHandler extends NodeHttpHandler {
  override async handle(request: HttpRequest, options?: HttpHandlerOptions): Promise<{ response: HttpResponse }> {
    const { response } = await super.handle(request, options);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as Readable) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    seenByClients.push({ path: request.path, text: `${response.statusCode} ${JSON.stringify(response.headers)} ${body.toString('latin1')}` });
    response.body = Readable.from([body]);
    return { response };
  }
}

function sdk(endpoint: string, auth: { key: string } | { accessKeyId: string; secretAccessKey: string }): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: emulator.region,
    endpoint,
    requestHandler: new RecordingHandler(),
    maxAttempts: 1,
    ...('key' in auth ? { token: { token: auth.key }, authSchemePreference: ['httpBearerAuth'] } : { credentials: auth }),
  });
}

/** Sends a command and keeps the SDK's view of the outcome (result or error) too. */
async function send(client: BedrockRuntimeClient, command: ConverseCommand | ConverseStreamCommand): Promise<string> {
  try {
    const output = await client.send(command as ConverseCommand);
    if ('stream' in output && output.stream) {
      for await (const event of output.stream as AsyncIterable<unknown>) seenByClients.push({ path: 'sdk', text: JSON.stringify(event) });
    }
    seenByClients.push({ path: 'sdk', text: JSON.stringify(output) });
    return 'ok';
  } catch (error) {
    seenByClients.push({ path: 'sdk', text: `${(error as Error).name}: ${(error as Error).message} ${JSON.stringify(error)}` });
    return (error as Error).name;
  }
}

/** Drives the mix against the CLI at `url`, then stops it. */
async function driveEverything(cli: RunningProcess, url: string): Promise<void> {
  const origin = new URL(url).origin;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
  const converse = (model: string, key: string = SECRET.masterKey, body = CONVERSE_BODY) =>
    call(`${url}/model/${model}/converse`, { method: 'POST', headers: bearer(key), body });

  // Successes: SigV4 and bearer upstream, a stream, a SigV4 client.
  expect((await converse('claude')).status).toBe(200);
  expect((await converse('nova', SECRET.teamKey)).status).toBe(200);
  const everyWay = { 'x-api-key': SECRET.teamKey, 'x-pass-x-api-key': SECRET.teamKey, 'x-pass-authorization': `Bearer ${SECRET.teamKey}`, cookie: `key=${SECRET.teamKey}` };
  expect((await call(`${url}/model/claude/converse`, { method: 'POST', headers: { ...bearer(SECRET.teamKey), ...everyWay }, body: CONVERSE_BODY })).status).toBe(200);
  expect(await send(sdk(url, { key: SECRET.teamKey }), new ConverseStreamCommand({ modelId: 'claude', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }))).toBe('ok');
  const signingClient = sdk(url, { accessKeyId: CLIENT_ACCESS_KEY_ID, secretAccessKey: SECRET.clientSigningSecret });
  expect(await send(signingClient, new ConverseCommand({ modelId: 'claude', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }))).toBe('ok');

  // Upstream errors and failures: an error answer, an exception mid-stream, a deployment whose secret is wrong, one
  // whose host does not resolve.
  emulator.inject({ match: { operation: 'converse' }, error: { type: 'ThrottlingException' } });
  expect((await converse('claude')).status).toBe(429);
  emulator.inject({ match: { operation: 'converse-stream' }, streamException: { type: 'modelStreamErrorException', afterFrames: 2 } });
  expect(await send(sdk(url, { key: SECRET.masterKey }), new ConverseStreamCommand({ modelId: 'claude', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }))).not.toBe('ok');
  expect((await converse('broken')).status).toBe(403);
  const offline = await converse('offline');
  expect(offline.status).toBe(503);

  // Refused callers: no key, a wrong key, a signature with the wrong secret, an unknown access key id.
  expect((await call(`${url}/model/claude/converse`, { method: 'POST', body: CONVERSE_BODY })).status).toBe(403);
  expect((await converse('claude', `${SECRET.masterKey}x`)).status).toBe(403);
  const wrongSecret = sdk(url, { accessKeyId: CLIENT_ACCESS_KEY_ID, secretAccessKey: `${SECRET.clientSigningSecret}x` });
  expect(await send(wrongSecret, new ConverseCommand({ modelId: 'claude', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }))).toBe('InvalidSignatureException');
  const unknownId = sdk(url, { accessKeyId: 'GWSCANUNKNOWN0000001', secretAccessKey: SECRET.clientSigningSecret });
  expect(await send(unknownId, new ConverseCommand({ modelId: 'claude', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }))).toBe('UnrecognizedClientException');

  // Bad requests.
  expect((await converse('no-such-model')).status).toBe(400);
  expect((await converse('claude', SECRET.masterKey, '{"messages": [')).status).toBe(400);
  expect((await converse('claude', SECRET.masterKey, JSON.stringify({ messages: [], pad: 'x'.repeat(1_200_000) }))).status).toBe(413);
  expect((await call(`${url}/model/claude/summon`, { method: 'POST', headers: bearer(SECRET.masterKey), body: '{}' })).status).toBe(404);
  expect((await call(`${url}/model/claude/converse`, { headers: bearer(SECRET.masterKey) })).status).toBe(405);
  expect((await call(`${origin}/elsewhere`)).status).toBe(404);

  // Admin API, health, metrics.
  const basic = `Basic ${Buffer.from(`admin:${SECRET.masterKey}`).toString('base64')}`;
  expect((await call(`${url}/admin`, { headers: { authorization: basic } })).status).toBe(200);
  for (const route of ['spend', 'deployments', 'keys', 'errors']) {
    expect((await call(`${url}/admin/${route}`, { headers: bearer(SECRET.masterKey) })).status).toBe(200);
  }
  expect((await call(`${url}/admin/keys`, { headers: bearer(SECRET.teamKey) })).status).toBe(403);
  expect((await call(`${url}/admin/keys`)).status).toBe(401);
  for (const path of ['/health', '/bedrock/health', '/metrics']) expect((await call(`${origin}${path}`)).status).toBe(200);

  // A graceful stop, with whatever it logs.
  cli.child.kill('SIGTERM');
  expect((await cli.exited).code).toBe(0);
}

/** Where `secret` occurs in `text`, as it is or percent-encoded; undefined when it does not. */
function occurrence(text: string, secret: string): string | undefined {
  for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
    const at = text.indexOf(form);
    if (at !== -1) return text.slice(Math.max(0, at - 120), at + form.length + 40);
  }
  return undefined;
}

/** The secrets found in `text`, each with its context, by name. */
function leaks(text: string, secrets: Readonly<Record<string, string>>): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, secret] of Object.entries(secrets)) {
    const context = occurrence(text, secret);
    if (context !== undefined) found[name] = context;
  }
  return found;
}

it('no configured secret appears in any log line, response or upstream request of a full run', async () => {
  const configFile = directory.write('config.yaml', configYaml());
  const { cli, url } = await startCli(configFile, ['--log-level', 'debug'], { SCAN_DEPLOYMENT_SECRET: SECRET.deploymentSecretKey });
  await driveEverything(cli, url);

  const everySecret = { ...SECRET, DEPLOYMENT_ACCESS_KEY_ID, CLIENT_ACCESS_KEY_ID };
  const logs = `${cli.stdout()}\n${cli.stderr()}`;
  // Debug logging was on and the run was logged: a scan of nothing would prove nothing.
  expect(logs).toMatch(/"level":"debug"/);
  expect(logs.match(/"msg":"request"/g)?.length).toBeGreaterThanOrEqual(15);
  expect(leaks(logs, everySecret)).toEqual({});

  expect(seenByClients.length).toBeGreaterThanOrEqual(35);
  expect(leaks(seenByClients.map((seen) => seen.text).join('\n'), everySecret)).toEqual({});
  // Endpoints are shown where the config author publishes them (readiness, the admin API), never in an answer to a call.
  const answers = seenByClients.filter((seen) => !/\/admin|\/health$/.test(seen.path));
  expect(leaks(answers.map((seen) => seen.text).join('\n'), { INTERNAL_HOST })).toEqual({});

  // Upstream: the deployment's own credentials in the headers that carry them, and nothing else of any secret.
  expect(emulator.requests.length).toBeGreaterThanOrEqual(6);
  for (const received of emulator.requests) {
    const { authorization, 'x-amz-security-token': sessionToken, ...otherHeaders } = received.headers;
    expect(leaks(`${received.method} ${received.url} ${JSON.stringify(otherHeaders)} ${received.body.toString('latin1')}`, everySecret)).toEqual({});
    if (authorization?.startsWith('Bearer ')) {
      expect(authorization).toBe(`Bearer ${SECRET.upstreamApiKey}`);
      expect(sessionToken).toBeUndefined();
    } else {
      expect(authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${DEPLOYMENT_ACCESS_KEY_ID}/\\d{8}/${emulator.region}/bedrock/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`));
      expect([undefined, SECRET.deploymentSessionToken]).toContain(sessionToken);
    }
  }
});
