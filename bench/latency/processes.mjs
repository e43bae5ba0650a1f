// @ts-check
/**
 * The server processes of the latency benchmarks, seen from the parent: each server (the mock, the proxies, the
 * gateway in Express, the gateway's CLI) runs in a child process of its own, so its CPU time and memory are its own
 * and the load generator's work does not share its event loop. Every child has probe.mjs preloaded and runs with
 * --expose-gc, so the parent can sample it and collect its garbage.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const PROBE = new URL('./probe.mjs', import.meta.url).href;
const SERVE = fileURLToPath(new URL('./serve.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;

/**
 * @typedef {object} ProbeSample What probe.mjs reports.
 * @property {NodeJS.MemoryUsage} memory
 * @property {NodeJS.CpuUsage} cpu
 * @property {{ p50: number, p99: number, max: number, samples: number }} lagMs Since the last `reset-lag`.
 * @property {{ count: number, totalMs: number, maxMs: number, longestKind: string }} gcPauses Since the last `reset-lag`.
 *
 * @typedef {object} ServerProcess
 * @property {string} name
 * @property {string} origin `http://127.0.0.1:port`
 * @property {any} facts What the server told about itself when ready (the mock: its answers).
 * @property {number} pid
 * @property {(message: object) => Promise<any>} ask Sends a message with a fresh id; resolves with the answer's result.
 * @property {() => Promise<ProbeSample>} sample
 * @property {() => Promise<void>} close Stops the process (SIGTERM) and waits for it to exit.
 */

/**
 * Forks `module` with the probe and an IPC channel; wraps the asking and the stopping.
 * @param {string} name @param {string} module @param {string[]} args
 * @param {{ execArgv?: string[], env?: NodeJS.ProcessEnv, stdout: 'pipe' | 'inherit' }} options
 */
function forkProbed(name, module, args, { execArgv = [], env, stdout }) {
  const child = fork(module, args, {
    execArgv: ['--expose-gc', '--import', PROBE, ...execArgv],
    ...(env ? { env } : {}),
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
  });
  let nextId = 0;
  /** @type {Map<number, { resolve: (value: any) => void, reject: (error: Error) => void }>} */
  const pending = new Map();
  child.on('message', (/** @type {any} */ message) => {
    const waiting = message?.id === undefined ? undefined : pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.error) waiting.reject(new Error(`${name}: ${message.error}`));
    else waiting.resolve(message.result);
  });
  const exited = once(child, 'exit');
  void exited.then(([code, signal]) => {
    for (const { reject } of pending.values()) reject(new Error(`${name} exited (${signal ?? code})`));
    pending.clear();
  });
  /** @param {object} message @returns {Promise<any>} */
  const ask = (message) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ ...message, id });
    });
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, ask, close, exited };
}

/**
 * Resolves with `value` unless the child exits or `START_TIMEOUT_MS` pass first.
 * @template T @param {string} name @param {Promise<T>} value @param {Promise<any[]>} exited The child's `exit` event.
 * @returns {Promise<T>}
 */
async function startedOrFailed(name, value, exited) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const failed = new Promise((_, reject) => {
    void exited.then(([code, signal]) => reject(new Error(`${name} exited while starting (${signal ?? code})`)));
    timer = setTimeout(() => reject(new Error(`${name} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  });
  try {
    return await Promise.race([value, failed]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts one of server-kinds.mjs's servers in a child process.
 * @param {string} name @param {string} kind @param {import('./server-kinds.mjs').ServerOptions} [options]
 * @returns {Promise<ServerProcess>}
 */
export async function startServer(name, kind, options = {}) {
  const { child, ask, close, exited } = forkProbed(name, SERVE, [kind, JSON.stringify(options)], { stdout: 'inherit' });
  const ready = /** @type {Promise<any>} */ (
    new Promise((resolve) => child.on('message', (/** @type {any} */ message) => message?.ready && resolve(message)))
  );
  const { url, facts } = await startedOrFailed(name, ready, exited);
  return { name, origin: url, facts, pid: /** @type {number} */ (child.pid), ask, sample: () => ask({ probe: 'sample' }), close };
}

/**
 * Starts the gateway's CLI as it ships: `node dist/cli.js --config <file> --port 0 --host 127.0.0.1 --log-level silent`,
 * and reads its endpoint from the line it prints when listening.
 * @param {string} name @param {string} configPath
 * @param {{ execArgv?: string[], env?: NodeJS.ProcessEnv, cli?: string }} [options] More node flags; the environment
 *   (default: ours); the CLI script (default: this checkout's `dist/cli.js`; another build's, to compare commits).
 * @returns {Promise<ServerProcess>}
 */
export async function startCliGateway(name, configPath, { execArgv = [], env, cli = CLI } = {}) {
  const args = ['--config', configPath, '--port', '0', '--host', '127.0.0.1', '--log-level', 'silent', '--grace-period', '1'];
  const { child, ask, close, exited } = forkProbed(name, cli, args, { execArgv, env, stdout: 'pipe' });
  const stdout = /** @type {import('node:stream').Readable} */ (child.stdout);
  stdout.setEncoding('utf8');
  const listening = /** @type {Promise<string>} */ (
    new Promise((resolve) => {
      let printed = '';
      stdout.on('data', (/** @type {string} */ text) => {
        printed += text;
        const endpoint = /listening on (\S+)/.exec(printed)?.[1];
        if (endpoint) resolve(endpoint);
      });
    })
  );
  const endpoint = await startedOrFailed(name, listening, exited);
  return { name, origin: new URL(endpoint).origin, facts: { endpoint }, pid: /** @type {number} */ (child.pid), ask, sample: () => ask({ probe: 'sample' }), close };
}
