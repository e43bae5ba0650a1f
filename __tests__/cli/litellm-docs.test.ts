/**
 * A LiteLLM user's set-up, unchanged: the config and the curl commands of LiteLLM's Bedrock pass-through docs
 * (docs.litellm.ai/docs/pass_through/bedrock, /docs/bedrock_converse, /docs/bedrock_invoke), run with the real curl
 * against our CLI. Only the host is ours, and the endpoint points at the emulator instead of AWS.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventStreamDecoder } from '../../lib/aws/eventstream';
import { EMULATOR_CREDENTIALS, startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { startCli } from './cli-server';
import { startProcess, stopAllProcesses, temporaryDirectory } from './processes';

const hasCurl = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasCurl) console.warn('Skipping the LiteLLM curl tests: curl is not installed on this machine.');

/** LiteLLM's documented config, plus where the emulator is and its credentials (LiteLLM reads them from the env). */
function litellmConfig(emulator: BedrockEmulator): string {
  return `model_list:
  - model_name: my-bedrock-model
    litellm_params:
      model: bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0
      aws_region_name: us-west-2
      custom_llm_provider: bedrock
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      aws_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY
      aws_bedrock_runtime_endpoint: ${emulator.url}
general_settings:
  master_key: sk-1234
`;
}

/** The documented commands, with LiteLLM's `http://0.0.0.0:4000` replaced by the CLI's address. */
const COMMANDS = {
  converse: `curl -sS -X POST 'BASE/bedrock/model/my-bedrock-model/converse' \\
-H 'Authorization: Bearer sk-1234' \\
-H 'Content-Type: application/json' \\
-d '{"messages": [{"role": "user", "content": [{"text": "Hello"}]}]}'`,
  invoke: `curl -sS -X POST 'BASE/bedrock/model/my-bedrock-model/invoke' \\
-H 'Authorization: Bearer sk-1234' \\
-H 'Content-Type: application/json' \\
-d '{
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "Hello"}],
    "anthropic_version": "bedrock-2023-05-31"
}'`,
  'converse-stream': `curl -sS -X POST 'BASE/bedrock/model/my-bedrock-model/converse-stream' \\
-H 'Authorization: Bearer sk-1234' \\
-H 'Content-Type: application/json' \\
-d '{"messages": [{"role": "user", "content": [{"text": "Hello"}]}]}'`,
  'invoke-with-response-stream': `curl -sS -X POST 'BASE/bedrock/model/my-bedrock-model/invoke-with-response-stream' \\
-H 'Authorization: Bearer sk-1234' \\
-H 'Content-Type: application/json' \\
-d '{"max_tokens": 100, "messages": [{"role": "user", "content": "Hello"}], "anthropic_version": "bedrock-2023-05-31"}'`,
};

// curl is on every machine this project targets; the skip only keeps a bare container from failing the suite.
(hasCurl ? describe : describe.skip)('LiteLLM’s documented curl commands against the CLI', () => {
  let emulator: BedrockEmulator;
  let directory: ReturnType<typeof temporaryDirectory>;
  let base: string;

  beforeAll(async () => {
    emulator = await startBedrockEmulator({ region: 'us-west-2', replyText: 'Hello, LiteLLM user.' });
    directory = temporaryDirectory();
    const { url } = await startCli(directory.write('config.yaml', litellmConfig(emulator)), [], {
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    });
    base = url.replace(/\/bedrock$/, '');
  });
  afterAll(async () => {
    await stopAllProcesses();
    await emulator.close();
    directory.remove();
  });
  beforeEach(() => emulator.reset());

  /** Runs a documented command, its output going to a file so that stream bytes arrive untouched. */
  async function curl(command: string): Promise<Buffer> {
    const output = join(directory.path, 'response.bin');
    const shell = startProcess('sh', ['-c', `${command.replace('BASE', base)} -o '${output}'`]);
    const exit = await shell.exited;
    expect({ exit, stderr: shell.stderr() }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
    return readFileSync(output);
  }

  it('converse', async () => {
    const answer = JSON.parse((await curl(COMMANDS.converse)).toString()) as { output: { message: { content: Array<{ text: string }> } } };
    expect(answer.output.message.content[0]?.text).toBe('Hello, LiteLLM user.');
    expect(emulator.requests[0]?.url).toBe('/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
  });

  it('invoke', async () => {
    const answer = JSON.parse((await curl(COMMANDS.invoke)).toString()) as { type: string; content: Array<{ text: string }> };
    expect(answer).toMatchObject({ type: 'message', content: [{ text: 'Hello, LiteLLM user.' }] });
  });

  it.each(['converse-stream', 'invoke-with-response-stream'] as const)('%s', async (operation) => {
    const bytes = await curl(COMMANDS[operation]);
    expect(bytes.equals(emulator.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    const decoder = new EventStreamDecoder();
    expect(decoder.push(bytes).length).toBeGreaterThan(4);
    expect(decoder.end()).toBeUndefined();
  });
});
