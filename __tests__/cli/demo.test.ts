/**
 * `npm run demo` (scripts/demo.mjs, after the build): it starts, its self-check passes, every command it prints
 * works when pasted into a shell, and Ctrl-C stops everything and removes its temporary config.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { startNode, startProcess, stopAllProcesses, type RunningProcess } from './processes';

const hasCurl = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
const hasBoto3 = spawnSync('python3', ['-c', 'import boto3'], { stdio: 'ignore' }).status === 0;
if (!hasCurl) console.warn('Not running the demo\'s curl commands: curl is not installed on this machine.');
if (!hasBoto3) console.warn('Not running the demo\'s boto3 snippet: `python3 -c "import boto3"` failed on this machine.');

let demo: RunningProcess;
let printed: string;

/** Runs a command as pasted into `sh`; resolves with what it printed, failing the test if it fails. */
async function paste(command: string): Promise<string> {
  const shell = startProcess('sh', ['-c', command]);
  const exit = await shell.exited;
  expect({ command, exit, stderr: shell.stderr() }).toEqual({ command, exit: { code: 0, signal: null }, stderr: '' });
  return shell.stdout();
}

/** The printed lines that start with `prefix`, one command each. */
function linesStartingWith(prefix: string): string[] {
  return printed.split('\n').filter((line) => line.startsWith(prefix));
}

/** A heredoc block as printed: from its opening line to its terminator. */
function heredoc(opening: string, terminator: string): string {
  const start = printed.indexOf(opening);
  const end = printed.indexOf(`\n${terminator}\n`, start);
  expect(start).toBeGreaterThanOrEqual(0);
  return printed.slice(start, end + terminator.length + 2);
}

function refusesConnections(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on('error', () => resolve(true));
    req.end();
  });
}

beforeAll(async () => {
  demo = startNode(['scripts/demo.mjs'], { PORT: '0' });
  await demo.waitFor(/Ctrl-C stops the gateway and the emulators\./, { timeoutMs: 20_000 });
  printed = demo.stdout();
});
afterAll(stopAllProcesses);

it('checks one call itself and says what it serves', () => {
  expect(printed).toMatch(/Checked: Converse with model "claude" answered "Hello from the emulated Bedrock in us-(east-1|west-2)\."/);
  expect(printed).toMatch(/serving Bedrock Runtime at http:\/\/localhost:\d+\/bedrock/);
  expect(printed).toContain('key: sk-demo-1234');
});

(hasCurl ? it : it.skip)('every curl command it prints works as pasted', async () => {
  const commands = linesStartingWith('curl ');
  expect(commands).toHaveLength(6);
  const outputs = await Promise.all(commands.map(paste));
  const [converse, converseStream, invoke, invokeStream, health, readiness] = outputs;
  expect(converse).toMatch(/"text":"Hello from the emulated Bedrock in us-(east-1|west-2)\."/);
  // The streams are binary event-stream frames: only their text parts are looked for.
  expect(converseStream).toContain('contentBlockDelta');
  expect(converseStream).toContain('metadata');
  expect(invoke).toContain('"type":"message"');
  expect(invokeStream).toContain('chunk');
  expect(invokeStream).toContain('{"bytes":"');
  expect(JSON.parse(health as string)).toEqual({ status: 'ok' });
  expect((JSON.parse(readiness as string) as { deployments: Array<{ id: string }> }).deployments.map((d) => d.id)).toEqual([
    'claude-us-east-1',
    'claude-us-west-2',
    'nova-us-east-1',
  ]);
});

(hasBoto3 ? it : it.skip)('its boto3 snippet works as pasted', async () => {
  expect(await paste(heredoc("python3 - <<'PY'", 'PY'))).toMatch(/^Hello from the emulated Bedrock in us-(east-1|west-2)\.\n$/);
});

it('its AWS SDK for JavaScript snippet works as pasted (in this repository, which has the packages)', async () => {
  expect(await paste(heredoc("node --input-type=module <<'JS'", 'JS'))).toMatch(/^Hello from the emulated Bedrock in us-(east-1|west-2)\.\n$/);
});

it('Ctrl-C stops the gateway and the emulators, and removes the temporary config', async () => {
  const configFile = /config: (\S+config\.yaml)/.exec(printed)?.[1] as string;
  const origin = new URL(/serving Bedrock Runtime at (\S+)/.exec(printed)?.[1] as string).origin;
  expect(existsSync(configFile)).toBe(true);

  demo.child.kill('SIGINT');
  expect(await demo.exited).toEqual({ code: 0, signal: null });
  expect(existsSync(configFile)).toBe(false);
  expect(await refusesConnections(`${origin}/health`)).toBe(true);
});
