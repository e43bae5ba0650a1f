/**
 * boto3 against the CLI: with the snippet LiteLLM documents for its Bedrock pass-through (the gateway key as
 * `AWS_BEARER_TOKEN_BEDROCK` and the gateway as `endpoint_url`), and signing with SigV4 as older botocore releases
 * and most SDKs do (a key's `access_key_id` / `secret_access_key` as AWS credentials). Skipped, with a message, where
 * python3 has no boto3.
 */
import { spawnSync } from 'node:child_process';
import { EMULATOR_CREDENTIALS, startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
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

/** Nothing of this machine's AWS set-up may take part: the gateway's key or credentials are the only ones. */
const ISOLATED_FROM_AWS = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_BEARER_TOKEN_BEDROCK: undefined,
  AWS_PROFILE: undefined,
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
};

const SIGNING_KEY = { id: 'GWTEAMDATA0000000001', secret: 'team-data/sigv4/secret-for-tests' };

/** The set-up of docs/clients.md: the key's id and secret as AWS credentials; argv: endpoint URL. */
const SIGV4_SCRIPT = `
import sys
import boto3
from botocore.exceptions import ClientError

endpoint_url = sys.argv[1]
session = boto3.Session(aws_access_key_id="${SIGNING_KEY.id}", aws_secret_access_key="${SIGNING_KEY.secret}", region_name="eu-west-1")
runtime = session.client("bedrock-runtime", endpoint_url=endpoint_url)
messages = [{"role": "user", "content": [{"text": "Hello"}]}]

print("converse:", runtime.converse(modelId="anthropic.claude-3-5-sonnet-20240620-v1:0", messages=messages)["output"]["message"]["content"][0]["text"])
events = list(runtime.converse_stream(modelId="claude", messages=messages)["stream"])
print("converse_stream:", list(events[-1])[0])
print("count_tokens:", runtime.count_tokens(modelId="claude", input={"converse": {"messages": messages}})["inputTokens"] > 0)
guardrail = runtime.apply_guardrail(guardrailIdentifier="pii-filter", guardrailVersion="DRAFT", source="INPUT", content=[{"text": {"text": "Hello"}}])
print("apply_guardrail:", guardrail["action"])

agents = session.client("bedrock-agent-runtime", endpoint_url=endpoint_url)
results = agents.retrieve(knowledgeBaseId="handbook", retrievalQuery={"text": "holidays"})["retrievalResults"]
print("retrieve:", len(results) > 0)

wrong = boto3.Session(aws_access_key_id="${SIGNING_KEY.id}", aws_secret_access_key="not-the-secret", region_name="eu-west-1")
try:
    wrong.client("bedrock-runtime", endpoint_url=endpoint_url).converse(modelId="claude", messages=messages)
except ClientError as error:
    print("wrong secret:", error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"])
`;

(hasBoto3 ? describe : describe.skip)('boto3 through the CLI', () => {
  let emulator: BedrockEmulator;
  let directory: ReturnType<typeof temporaryDirectory>;
  let url: string;

  beforeAll(async () => {
    emulator = await startBedrockEmulator({ region: 'us-east-1' });
    directory = temporaryDirectory();
    const config = `${configYaml(emulator)}bedrock_settings:
  aws_region_name: us-east-1
  aws_bedrock_runtime_endpoint: ${emulator.url}
  aws_bedrock_agent_runtime_endpoint: ${emulator.url}
  aws_access_key_id: ${EMULATOR_CREDENTIALS.accessKeyId}
  aws_secret_access_key: ${EMULATOR_CREDENTIALS.secretAccessKey}
guardrails:
  - { name: pii-filter, id: gr-0123456789 }
knowledge_bases:
  - { name: handbook, id: KB00000001 }
keys:
  - name: team-data
    access_key_id: ${SIGNING_KEY.id}
    secret_access_key: os.environ/TEAM_DATA_SECRET
`;
    ({ url } = await startCli(directory.write('config.yaml', config), [], { TEAM_DATA_SECRET: SIGNING_KEY.secret }));
  });
  beforeEach(() => emulator.reset());
  afterAll(async () => {
    await stopAllProcesses();
    await emulator.close();
    directory.remove();
  });

  it('calls Bedrock Runtime and Agent Runtime with its access key id and secret, and a wrong secret is refused', async () => {
    const python = startProcess('python3', ['-c', SIGV4_SCRIPT, url], ISOLATED_FROM_AWS);
    const exit = await python.exited;
    expect({ exit, stderr: python.stderr() }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
    expect(python.stdout()).toBe(
      'converse: Hello from the Bedrock emulator. This answer is canned.\n' +
        'converse_stream: metadata\n' +
        'count_tokens: True\n' +
        'apply_guardrail: NONE\n' +
        'retrieve: True\n' +
        'wrong secret: InvalidSignatureException 403\n',
    );
    expect(emulator.requests.map((request) => request.operation)).toEqual(['converse', 'converse-stream', 'count-tokens', 'apply-guardrail', 'retrieve']);
    // The gateway's names became ids upstream.
    expect(emulator.requests[3]?.url).toBe('/guardrail/gr-0123456789/version/DRAFT/apply');
    expect(emulator.requests[4]?.url).toBe('/knowledgebases/KB00000001/retrieve');
  });

  it.each(['claude', 'anthropic.claude-3-5-sonnet-20240620-v1:0'])('converse and converse_stream with modelId=%s', async (model) => {
    const python = startProcess('python3', ['-c', SCRIPT, url, model], ISOLATED_FROM_AWS);
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
  });
});
