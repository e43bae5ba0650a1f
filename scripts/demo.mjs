// `npm run demo`: the standalone gateway on this machine, in front of local Bedrock emulators, so it can be tried
// with curl, boto3 or the AWS SDK without an AWS account. It writes a temporary LiteLLM-style config.yaml, starts
// `node dist/cli.js --config <it> --port ${PORT:-4000}`, checks one call, and prints what to paste.
// Ctrl-C stops the gateway (gracefully), then the emulators, and removes the temporary config.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EMULATOR_CREDENTIALS, startBedrockEmulator } from '../dist/testing/index.js';

const DEMO_KEY = 'sk-demo-1234';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const port = process.env.PORT ?? '4000';

// An emulator accepts only signatures scoped to its own region: one emulator per region the config uses.
const emulators = {
  'us-east-1': await startBedrockEmulator({ region: 'us-east-1', replyText: 'Hello from the emulated Bedrock in us-east-1.' }),
  'us-west-2': await startBedrockEmulator({ region: 'us-west-2', replyText: 'Hello from the emulated Bedrock in us-west-2.' }),
};
const directory = mkdtempSync(join(tmpdir(), 'bedrock-passthrough-demo-'));
const configFile = join(directory, 'config.yaml');
writeFileSync(configFile, demoConfig(), { mode: 0o600 });

// Its own process group: Ctrl-C reaches this script only, which then stops the gateway once, gracefully.
const gateway = spawn(process.execPath, [join(ROOT, 'dist', 'cli.js'), '--config', configFile, '--port', port], {
  cwd: ROOT,
  detached: true,
  stdio: ['ignore', 'pipe', 'inherit'],
});
/** Set when the demo stops: the code it exits with once the gateway is gone, and when that was decided. */
let exitCode;
let stoppingSince;
process.on('exit', () => {
  // Last resort, should this script fail: never leave the gateway or the config behind.
  if (gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGKILL');
  rmSync(directory, { recursive: true, force: true });
});
gateway.once('exit', async (code, signal) => {
  if (exitCode === undefined) console.error(`\nThe gateway stopped on its own (${signal ?? `exit code ${code}`}).`);
  await Promise.all(Object.values(emulators).map((emulator) => emulator.close()));
  process.exit(exitCode ?? 1);
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(0));

/** Stops the gateway gracefully; a second Ctrl-C makes it exit without waiting for the requests in progress. */
function stop(code) {
  if (exitCode === undefined) {
    exitCode = code;
    stoppingSince = Date.now();
    console.log('\nStopping: the gateway finishes the requests in progress, then the emulators stop.');
    gateway.kill('SIGTERM');
  } else if (Date.now() - stoppingSince > 500) {
    // Not sooner: under `npm run`, one Ctrl-C can arrive twice (from the terminal, and forwarded by npm).
    gateway.kill('SIGTERM');
  }
}

for await (const line of createInterface({ input: gateway.stdout })) {
  const listening = /listening on (http:\/\/\S+)/.exec(line);
  if (!listening) {
    // The gateway's log lines: shown as they come, after the instructions.
    console.log(line);
    continue;
  }
  const endpoint = listening[1].replace('//0.0.0.0:', '//localhost:');
  if (await checkOneCall(endpoint)) console.log(instructions(endpoint));
}

/** The demo's config.yaml: `claude` in two regions, `nova` in one, every deployment on its region's emulator. */
function demoConfig() {
  const deployment = (modelName, model, region, id) => `
  - model_name: ${modelName}
    litellm_params:
      model: bedrock/${model}
      aws_region_name: ${region}
      aws_bedrock_runtime_endpoint: ${emulators[region].url}
      aws_access_key_id: ${EMULATOR_CREDENTIALS.accessKeyId}
      aws_secret_access_key: ${EMULATOR_CREDENTIALS.secretAccessKey}
    model_info:
      id: ${id}`;
  return `# Written by scripts/demo.mjs; removed when the demo stops.
model_list:${deployment('claude', 'us.anthropic.claude-3-5-haiku-20241022-v1:0', 'us-east-1', 'claude-us-east-1')}${deployment(
    'claude',
    'us.anthropic.claude-3-5-haiku-20241022-v1:0',
    'us-west-2',
    'claude-us-west-2',
  )}${deployment('nova', 'amazon.nova-lite-v1:0', 'us-east-1', 'nova-us-east-1')}
general_settings:
  master_key: ${DEMO_KEY}
`;
}

/** One Converse call through the gateway, so that what follows is known to work. Stops the demo if it fails. */
async function checkOneCall(endpoint) {
  try {
    const response = await fetch(`${endpoint}/model/claude/converse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }),
    });
    const body = await response.json();
    if (response.status !== 200) throw new Error(`${response.status} ${JSON.stringify(body)}`);
    const deployment = response.headers.get('x-bedrock-passthrough-deployment');
    console.log(`\nChecked: Converse with model "claude" answered "${body.output.message.content[0].text}" (deployment ${deployment}).`);
    return true;
  } catch (error) {
    console.error(`\nThe check call through the gateway failed: ${error.message}`);
    stop(1);
    return false;
  }
}

function instructions(endpoint) {
  const origin = new URL(endpoint).origin;
  const headers = `-H 'Authorization: Bearer ${DEMO_KEY}' -H 'content-type: application/json'`;
  const converseBody = `'{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}'`;
  const invokeBody = `'{"anthropic_version":"bedrock-2023-05-31","max_tokens":256,"messages":[{"role":"user","content":"Hello"}]}'`;
  return `
bedrock-passthrough is serving Bedrock Runtime at ${endpoint}
  in front of local emulators (no AWS account is used); config: ${configFile}
  model groups: claude (us-east-1 and us-west-2), nova (us-east-1); key: ${DEMO_KEY}

Paste these in another terminal.

# Converse
curl -s ${endpoint}/model/claude/converse ${headers} -d ${converseBody}

# ConverseStream (an AWS event stream: JSON events in binary frames)
curl -sN --output - ${endpoint}/model/nova/converse-stream ${headers} -d ${converseBody}

# InvokeModel (the model's own request format: Anthropic Messages here)
curl -s ${endpoint}/model/claude/invoke ${headers} -d ${invokeBody}

# InvokeModelWithResponseStream
curl -sN --output - ${endpoint}/model/claude/invoke-with-response-stream ${headers} -d ${invokeBody}

# Liveness, and readiness with the deployments
curl -s ${origin}/health
curl -s ${origin}/bedrock/health

# boto3 (pip install boto3)
python3 - <<'PY'
import os, boto3
os.environ["AWS_BEARER_TOKEN_BEDROCK"] = "${DEMO_KEY}"
client = boto3.client(service_name="bedrock-runtime", region_name="us-east-1", endpoint_url="${endpoint}")
response = client.converse(modelId="claude", messages=[{"role": "user", "content": [{"text": "Hello"}]}])
print(response["output"]["message"]["content"][0]["text"])
PY

# AWS SDK for JavaScript v3, where @aws-sdk/client-bedrock-runtime is installed (here, say); HTTP/2, its default
node --input-type=module <<'JS'
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
const client = new BedrockRuntimeClient({
  region: 'us-east-1',
  endpoint: '${endpoint}',
  token: { token: '${DEMO_KEY}' },
  authSchemePreference: ['httpBearerAuth'],
});
const answer = await client.send(new ConverseCommand({ modelId: 'claude', messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }));
console.log(answer.output.message.content[0].text);
JS

The gateway's JSON log lines (one per request) follow below. Ctrl-C stops the gateway and the emulators.`;
}
