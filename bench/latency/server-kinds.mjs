// @ts-check
/**
 * The servers that run in child processes, by kind: each builds a request listener (and, for the mock, the facts of
 * its answers and its IPC commands). The gateway's CLI is not here: it is spawned as it ships, `dist/cli.js`.
 */
import { createBareProxy } from './bare-proxy.mjs';
import { createUpstreamMock } from './upstream-mock.mjs';

/**
 * @typedef {object} BuiltServer
 * @property {import('node:http').RequestListener} listener
 * @property {unknown} [facts] Sent to the parent with the ready message.
 * @property {Record<string, () => unknown>} [commands] Answered when the parent asks by name.
 *
 * @typedef {{ upstream?: string, configPath?: string }} ServerOptions
 */

/**
 * A plain Express 5 app with `handler` mounted at /bedrock, as a host app mounts the gateway. Express is imported only
 * by the kinds that use it.
 * @param {import('node:http').RequestListener} handler
 */
async function expressApp(handler) {
  const { default: express } = await import('express');
  const app = express();
  app.use('/bedrock', handler);
  return /** @type {import('node:http').RequestListener} */ (/** @type {unknown} */ (app));
}

/** @param {string | undefined} value @param {string} name */
function required(value, name) {
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** @type {Record<string, (options: ServerOptions) => Promise<BuiltServer>>} */
export const SERVER_KINDS = {
  mock: async () => createUpstreamMock(),
  'node-proxy': async ({ upstream }) => ({ listener: createBareProxy(required(upstream, 'upstream')) }),
  'express-proxy': async ({ upstream }) => ({ listener: await expressApp(createBareProxy(required(upstream, 'upstream'))) }),
  'gateway-express': async ({ configPath }) => {
    // The same config.yaml the CLI serves, loaded the way a host app loads it.
    const { createBedrockPassthrough, loadConfig } = await import('../../dist/index.js');
    return { listener: await expressApp(createBedrockPassthrough(loadConfig(required(configPath, 'configPath')))) };
  },
};
