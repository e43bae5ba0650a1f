/**
 * boto3 against the CLI, with the snippet LiteLLM documents for its Bedrock pass-through: the gateway key as
 * `AWS_BEARER_TOKEN_BEDROCK` and the gateway as `endpoint_url`. Skipped, with a message, where python3 has no boto3.
 */
import { spawnSync } from 'node:child_process';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MASTER_KEY, configYaml, startCli } from './cli-server';
import { startProcess, stopAllProcesses, temporaryDirectory } from './processes';

const hasBoto3 = spawnSync('python3', ['-c', 'import boto3'], { stdio: 'ignore' }).status === 0;
if (!hasBoto3) {
  console.warn('Skipping the boto3 tests: `python3 -c "import boto3"` failed on this machine (pip install boto3 to run them).');
}

/** LiteLLM's snippet, then the same client streaming; argv: endpoint URL, model name. */
const SCRIPT = `
import os, sys
import boto3

endpoint_url, model = sys.argv[1], sys.argv[2]
os.environ["AWS_BEARER_TOKEN_BEDROCK"] = "${MASTER_KEY}"
client = boto3.client(service_name="bedrock-runtime", region_name="us-east-1", endpoint_url=endpoint_url)
messages = [{"role": "user", "content": [{"text": "Hello"}]}]

response = client.converse(modelId=model, messages=messages)
print("converse:", response["output"]["message"]["content"][0]["text"], "| output tokens:", response["usage"]["outputTokens"])

stream = client.converse_stream(modelId=model, messages=messages)
events = list(stream["stream"])
text = "".join(event["contentBlockDelta"]["delta"]["text"] for event in events if "contentBlockDelta" in event)
print("converse_stream:", text, "| last event:", list(events[-1])[0])
`;

(hasBoto3 ? describe : describe.skip)('boto3 through the CLI', () => {
  let emulator: BedrockEmulator;
  let directory: ReturnType<typeof temporaryDirectory>;
  let url: string;

  beforeAll(async () => {
    emulator = await startBedrockEmulator({ region: 'us-east-1' });
    directory = temporaryDirectory();
    ({ url } = await startCli(directory.write('config.yaml', configYaml(emulator))));
  });
  afterAll(async () => {
    await stopAllProcesses();
    await emulator.close();
    directory.remove();
  });

  it.each(['claude', 'anthropic.claude-3-5-sonnet-20240620-v1:0'])('converse and converse_stream with modelId=%s', async (model) => {
    const python = startProcess('python3', ['-c', SCRIPT, url, model], {
      // Nothing of this machine's AWS set-up may take part: the gateway key is the only credential.
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const exit = await python.exited;
    expect({ exit, stderr: python.stderr() }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
    expect(python.stdout()).toBe(
      'converse: Hello from the Bedrock emulator. This answer is canned. | output tokens: 9\n' +
        'converse_stream: Hello from the Bedrock emulator. This answer is canned. | last event: metadata\n',
    );
    expect(emulator.requests.map((request) => [request.operation, request.modelId])).toEqual([
      ['converse', 'anthropic.claude-3-5-sonnet-20240620-v1:0'],
      ['converse-stream', 'anthropic.claude-3-5-sonnet-20240620-v1:0'],
    ]);
    emulator.reset();
  });
});
