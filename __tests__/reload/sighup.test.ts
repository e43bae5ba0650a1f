/**
 * SIGHUP on the standalone server (`node dist/cli.js`, a child process): it reads its `--config` file again and logs
 * one line, and a file it cannot use leaves it serving the configuration it has.
 */
import { dump, load } from 'js-yaml';
import type { GatewayConfig } from '../../lib/config/types';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MASTER_KEY, configYaml, startCli } from '../cli/cli-server';
import { stopAllProcesses, temporaryDirectory, type RunningProcess } from '../cli/processes';
import { deploymentOn } from '../support/gateway';

const ADDED_KEY = 'sk-sighup-added-key-0001';
const HAIKU_ID = 'anthropic.claude-3-haiku-20240307-v1:0';

let emulator: BedrockEmulator;
let directory: ReturnType<typeof temporaryDirectory>;

beforeAll(async () => {
  emulator = await startBedrockEmulator();
  directory = temporaryDirectory();
});
afterAll(async () => {
  await stopAllProcesses();
  await emulator.close();
  directory.remove();
});

function converse(url: string, model: string, key = MASTER_KEY): Promise<Response> {
  return fetch(`${url}/model/${model}/converse`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }),
  });
}

/** The fields of the one log line whose message is `message`, once it is printed. */
async function logLine(cli: RunningProcess, message: string): Promise<Record<string, unknown>> {
  const [line] = await cli.waitFor(new RegExp(`^\\{.*"msg":"${message}[^"]*"\\}$`, 'm'));
  return JSON.parse(line) as Record<string, unknown>;
}

describe('SIGHUP on the CLI', () => {
  it('reloads the config file, and keeps serving the one it has when the file is broken', async () => {
    const file = directory.write('config.yaml', configYaml(emulator));
    const { cli, url } = await startCli(file);
    const origin = url.replace(/\/bedrock$/, '');
    expect((await converse(url, 'haiku')).status).toBe(400);

    // A model group and a key added; claude and nova stay.
    const config = load(configYaml(emulator)) as GatewayConfig;
    config.model_list.unshift(deploymentOn(emulator, 'haiku', HAIKU_ID));
    config.keys = [{ name: 'added', key: ADDED_KEY }];
    directory.write('config.yaml', dump(config));
    cli.child.kill('SIGHUP');

    expect(await logLine(cli, 'configuration reloaded')).toMatchObject({ level: 'info', config: file, modelGroups: 3, deployments: 3, keys: 1 });
    const haiku = await converse(url, 'haiku', ADDED_KEY);
    expect(haiku.status).toBe(200);
    expect(emulator.requests.at(-1)?.modelId).toBe(HAIKU_ID);
    const health = (await (await fetch(`${url}/health`)).json()) as { deployments: Array<{ modelName: string }> };
    expect(health.deployments.map((deployment) => deployment.modelName)).toEqual(['haiku', 'claude', 'nova']);

    directory.write('config.yaml', 'model_list:\n  - model_name: [claude\n');
    cli.child.kill('SIGHUP');

    const refused = await logLine(cli, 'configuration refused');
    expect(refused).toMatchObject({ level: 'error', config: file, problems: [expect.stringMatching(/^line \d+, column \d+: /)] });
    expect((await converse(url, 'haiku', ADDED_KEY)).status).toBe(200);
    expect((await fetch(`${origin}/health`)).status).toBe(200);
    expect(cli.child.exitCode).toBeNull();
    // One line per reload, and never a secret in the output.
    expect(cli.stdout().match(/"msg":"configuration (reloaded|refused)/g)).toHaveLength(2);
    expect(cli.stdout()).not.toContain(ADDED_KEY);
  });
});
