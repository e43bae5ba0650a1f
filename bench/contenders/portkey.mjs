// @ts-check
/**
 * Portkey's open-source AI gateway (`@portkey-ai/gateway`, a Hono app) as a benchmark contender, run locally in a
 * child process against a local Bedrock-compatible upstream (this project's emulator, or anything that answers
 * `POST /model/{modelId}/converse`).
 *
 * Portkey is pointed at the upstream with its `x-portkey-custom-host` header: `ProviderContext.getFullURL`
 * (src/handlers/services/providerContext.ts) builds `(customHost || provider.getBaseURL()) + path` for every
 * provider, Bedrock included; Bedrock's path is `/model/{modelId}/converse` (`getEndpoint` of
 * src/providers/bedrock/api.ts), and the request is SigV4-signed for the given credentials and region.
 *
 * Two requests are offered:
 * - {@link PortkeyContender.converseRequest}: Bedrock's native Converse call passed through Portkey. Its catch-all
 *   `/v1/*` route is a proxy: `POST /v1/model/{modelId}/converse` goes to `{customHost}/model/{modelId}/converse`,
 *   re-signed, and the upstream's answer comes back as it is. This is the like-for-like comparison with ours.
 *   (Portkey parses the JSON body and serialises it again before signing: a compact body arrives unchanged.)
 * - {@link PortkeyContender.translatingConverseRequest}: what most Portkey users send, an OpenAI chat completion
 *   (`POST /v1/chat/completions`) that Portkey translates to Converse, and whose answer it translates back. More
 *   work than a pass-through.
 *
 * A preload (`--import` of a data: URL) runs in Portkey's process before its code:
 * - Portkey's `start-server.js` takes `--port=N` but no host, and listens on every interface: the preload makes
 *   its one `listen(port)` bind 127.0.0.1, and sends the port the OS chose for `--port=0` over IPC, so there is
 *   no free-port race. It also ends Portkey when the IPC channel closes: no stray process if our process dies.
 * - It works around Portkey issue #1389 (open): with `@hono/node-server` > 1.14.2, which npm installs for
 *   Portkey's `^1.3.3`, Hono's lightweight `Response` keeps the upstream fetch answer's immutable `Headers`,
 *   and `ResponseService.updateHeaders` then throws `TypeError: immutable` (HTTP 500 "Something went wrong")
 *   on every pass-through call, whose answer Portkey does not rebuild. The preload wraps `fetch` so that each
 *   upstream answer is re-wrapped in a native `Response` with its own (mutable) headers: the same body stream,
 *   no byte copied. That is what Portkey's proposed fix (PR #1390) does in its own code.
 *
 * `--headless` and `NODE_ENV=production` leave out Portkey's web UI and the UI's log stream; it prints nothing
 * per request. (Its Node-only middleware still clones and parses every /v1/ answer after sending it, to feed
 * that log stream; no option turns that off.)
 *
 * Caveat: Portkey signs `host` as the custom host's hostname without its port (the SigV4 helper of
 * src/providers/bedrock/utils.ts sets `headers.host = url.hostname`), while the HTTP request carries
 * `Host: 127.0.0.1:PORT`. An upstream that verifies SigV4 and listens on a port other than 80 (http) therefore
 * rejects every call (InvalidSignatureException). Benchmark against the emulator with `auth: 'none'`: it still
 * receives a fully signed request, so Portkey does the same signing work.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);
const SERVER_SCRIPT = require.resolve('@portkey-ai/gateway/build/start-server.js');
const PORTKEY_VERSION = /** @type {{ version: string }} */ (require('@portkey-ai/gateway/package.json')).version;

/** The model the requests name (the emulator answers any model id). */
export const PORTKEY_MODEL_ID = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

/** Runs inside Portkey's process before its code; see the module comment. */
const PRELOAD = `
import net from 'node:net';
const NativeResponse = globalThis.Response;
const nativeFetch = globalThis.fetch;
globalThis.fetch = async function fetch(input, init) {
  const response = await nativeFetch(input, init);
  return new NativeResponse(response.body, { status: response.status, statusText: response.statusText, headers: response.headers });
};
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && args[1] === undefined) {
    net.Server.prototype.listen = listen;
    args[1] = '127.0.0.1';
    this.once('listening', () => process.send?.({ port: this.address().port }));
  }
  return listen.apply(this, args);
};
if (process.channel) {
  process.channel.unref();
  process.on('disconnect', () => process.exit(0));
}
`;

/** About 1 KB of prompt text, the same on every call. */
const PROMPT = (
  'You are helping benchmark an AI gateway. Read the following paragraph and answer in one short sentence. ' +
  'Amazon Bedrock exposes foundation models behind a single API; a gateway in front of it adds keys, routing, ' +
  'retries, budgets and logging, re-signs each request with SigV4 for the account that serves it, and streams ' +
  'the answer back unchanged. The cost of such a gateway is the time it adds to every call, which should stay ' +
  'small next to the model itself. '
)
  .repeat(2)
  .slice(0, 1000);

/**
 * @typedef {object} PortkeyRequest
 * @property {'POST'} method
 * @property {string} path
 * @property {Record<string, string>} headers
 * @property {string} body
 */

/**
 * @typedef {object} PortkeyContender
 * @property {string} name
 * @property {string} version the installed `@portkey-ai/gateway` version
 * @property {string} url Portkey's base URL, `http://127.0.0.1:PORT`
 * @property {number} pid Portkey's process (the leader of its own process group)
 * @property {() => PortkeyRequest} converseRequest Bedrock Converse passed through Portkey (`POST /v1/model/{id}/converse`)
 * @property {() => PortkeyRequest} translatingConverseRequest an OpenAI chat completion that Portkey turns into Converse
 * @property {() => Promise<void>} close stops Portkey's process group; safe to call twice
 */

/**
 * Starts Portkey's Node server on a free port of 127.0.0.1 and resolves once it answers.
 * @param {{
 *   upstream: string,
 *   region: string,
 *   credentials: { accessKeyId: string, secretAccessKey: string, sessionToken?: string | undefined },
 *   startTimeoutMs?: number,
 * }} options `upstream`: base URL of the Bedrock Runtime stand-in, `http://127.0.0.1:PORT`
 * @returns {Promise<PortkeyContender>}
 */
export async function startPortkey({ upstream, region, credentials, startTimeoutMs = 15_000 }) {
  const customHost = new URL(upstream).origin;
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, NODE_ENV: 'production' };
  // Settings that would change what Portkey does per request, or which hosts it accepts.
  for (const name of ['REDIS_CONNECTION_STRING', 'TRUSTED_CUSTOM_HOSTS', 'AWS_ENDPOINT_DOMAIN', 'HTTP_PROXY', 'HTTPS_PROXY']) {
    delete env[name];
  }
  const child = spawn(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(PRELOAD)}`, SERVER_SCRIPT, '--port=0', '--headless'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('Portkey did not start: spawn failed');

  /** Last resort if our process exits without close(). */
  const killOnExit = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  };
  process.on('exit', killOnExit);
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  let stderr = '';
  const stderrStream = /** @type {import('node:net').Socket} */ (child.stderr);
  stderrStream.setEncoding('utf8');
  stderrStream.on('data', (/** @type {string} */ chunk) => {
    stderr = (stderr + chunk).slice(-16_384);
  });
  // Neither Portkey nor its pipes keep our process alive: the harness decides when to stop.
  child.unref();
  stderrStream.unref();
  /** @type {Promise<number>} */
  const listening = new Promise((resolve) =>
    child.on('message', (/** @type {{ port?: unknown }} */ message) => {
      if (typeof message?.port === 'number') resolve(message.port);
    }),
  );
  /** @type {{ unref(): void } | undefined} */ (/** @type {unknown} */ (child.channel))?.unref();

  /** @type {Promise<void> | undefined} */
  let closing;
  const close = () =>
    (closing ??= (async () => {
      if (!hasExited()) {
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {}
        /** @type {NodeJS.Timeout | undefined} */
        let timer;
        const stopped = await Promise.race([
          exited.then(() => true),
          new Promise((resolve) => (timer = setTimeout(resolve, 3_000, false))),
        ]).finally(() => clearTimeout(timer));
        if (!stopped) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {}
          await exited;
        }
      }
      if (child.connected) child.disconnect();
    })());

  const failure = (/** @type {string} */ why) =>
    new Error(`Portkey ${PORTKEY_VERSION} did not start: ${why}${stderr.trim() ? `\nits stderr:\n${stderr.trim()}` : ''}`);
  try {
    const deadline = Date.now() + startTimeoutMs;
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    const port = await Promise.race([
      listening,
      exited.then(() => Promise.reject(failure(`it exited (code ${child.exitCode}, signal ${child.signalCode})`))),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(failure(`it did not listen within ${startTimeoutMs} ms`)), startTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const url = `http://127.0.0.1:${port}`;
    // Listening is not yet routing: wait until its root route answers.
    for (;;) {
      try {
        const response = await fetch(`${url}/`);
        const text = await response.text();
        if (response.ok && text.includes('AI Gateway')) break;
      } catch {}
      if (hasExited()) throw failure(`it exited (code ${child.exitCode}, signal ${child.signalCode})`);
      if (Date.now() > deadline) throw failure(`no answer on ${url} within ${startTimeoutMs} ms`);
      await sleep(25);
    }

    /** Portkey's headers for Bedrock, pointed at the upstream. */
    const portkeyHeaders = {
      'content-type': 'application/json',
      'x-portkey-provider': 'bedrock',
      'x-portkey-aws-access-key-id': credentials.accessKeyId,
      'x-portkey-aws-secret-access-key': credentials.secretAccessKey,
      ...(credentials.sessionToken ? { 'x-portkey-aws-session-token': credentials.sessionToken } : {}),
      'x-portkey-aws-region': region,
      'x-portkey-custom-host': customHost,
    };
    const converseBody = JSON.stringify({
      messages: [{ role: 'user', content: [{ text: PROMPT }] }],
      inferenceConfig: { maxTokens: 256 },
    });
    const chatBody = JSON.stringify({
      model: PORTKEY_MODEL_ID,
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: 256,
    });

    return {
      name: 'portkey',
      version: PORTKEY_VERSION,
      url,
      pid,
      converseRequest: () => ({
        method: 'POST',
        path: `/v1/model/${encodeURIComponent(PORTKEY_MODEL_ID)}/converse`,
        headers: { ...portkeyHeaders },
        body: converseBody,
      }),
      translatingConverseRequest: () => ({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { ...portkeyHeaders },
        body: chatBody,
      }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
