/** The runnable examples, run as users run them (`node examples/...`), against an emulator instead of AWS. */
import { loadConfig } from '../../lib/config/load';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MASTER_KEY, configYaml } from './cli-server';
import { startNode, stopAllProcesses, temporaryDirectory } from './processes';

const CONVERSE_BODY = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }] });
const REPLY = 'Hello from the Bedrock emulator. This answer is canned.';

let emulator: BedrockEmulator;
let directory: ReturnType<typeof temporaryDirectory>;
let configFile: string;

/** Starts an example on a free port with the emulator's config; resolves with its base URL. */
async function startExample(name: string): Promise<string> {
  const example = startNode([`examples/${name}.mjs`], { CONFIG: configFile, PORT: '0' });
  const [, url] = await example.waitFor(new RegExp(`^${name} listening on (http://localhost:\\d+) \\(Bedrock at /bedrock\\)$`, 'm'));
  return url as string;
}

function converse(url: string, model: string, token: string): Promise<Response> {
  return fetch(`${url}/bedrock/model/${model}/converse`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: CONVERSE_BODY,
  });
}

async function replyText(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as { output?: { message?: { content?: Array<{ text?: string }> } } };
  return body.output?.message?.content?.[0]?.text;
}

beforeAll(async () => {
  emulator = await startBedrockEmulator({ region: 'us-east-1' });
  directory = temporaryDirectory();
  configFile = directory.write('config.yaml', configYaml(emulator));
});
beforeEach(() => emulator.reset());
afterEach(stopAllProcesses);
afterAll(async () => {
  await emulator.close();
  directory.remove();
});

it('examples/config.yaml loads, without a warning, given the variables it names', () => {
  const warnings: string[] = [];
  const config = loadConfig('examples/config.yaml', {
    env: {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example-secret',
      LITELLM_MASTER_KEY: 'sk-1234',
      TEAM_DATA_KEY: 'sk-team-data',
      TEAM_DATA_SECRET: 'team-data-secret',
    },
    warn: (message) => warnings.push(message),
  });
  expect(warnings).toEqual([]);
  expect(config.model_list.map((deployment) => [deployment.model_name, deployment.litellm_params.aws_region_name])).toEqual([
    ['claude', 'us-east-1'],
    ['claude', 'us-west-2'],
    ['nova', 'us-east-1'],
  ]);
  expect(config.general_settings?.master_key).toBe('sk-1234');
  expect(config.keys?.[0]).toMatchObject({ name: 'team-data', key: 'sk-team-data', secret_access_key: 'team-data-secret' });
});

it('examples/express-app.mjs: the host app\'s routes and Bedrock at /bedrock', async () => {
  const url = await startExample('express-app');
  expect(await (await fetch(url)).json()).toEqual({ service: 'my-app', bedrockEndpoint: '/bedrock' });
  const response = await converse(url, 'claude', MASTER_KEY);
  expect(response.status).toBe(200);
  expect(await replyText(response)).toBe(REPLY);
});

it('examples/custom-auth.mjs: the host\'s function decides who calls which model', async () => {
  const url = await startExample('custom-auth');
  const allowed = await converse(url, 'claude', 'team-red-token');
  expect(allowed.status).toBe(200);
  expect(await replyText(allowed)).toBe(REPLY);

  const otherModel = await converse(url, 'nova', 'team-red-token');
  expect(otherModel.status).toBe(403);
  const unknownTeam = await converse(url, 'claude', MASTER_KEY);
  expect(unknownTeam.status).toBe(403);
  expect(await unknownTeam.json()).toEqual({ message: 'Send your team token as Authorization: Bearer <token>.' });

  expect(emulator.requests).toHaveLength(1);
  expect(await (await fetch(`${url}/usage`)).json()).toEqual({ 'team red': 2, refused: 1 });
});
