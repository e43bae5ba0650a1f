// @ts-check
/**
 * The contenders, seen from the load generator: where to send each workload and with what headers. Clients of the
 * direct path and of the bare proxies send what an AWS SDK sends Bedrock (the model id in the path, a SigV4
 * signature, made once); clients of the gateway send what they send the gateway (a model group and the key).
 */
import { signRequest } from '../../dist/index.js';
import { GROUPS } from './gateway-config.mjs';
import { BODIES, CONVERSE_MODEL_ID, GATEWAY_KEY, HELD_OPEN_MODEL_ID, REGION, UPSTREAM_CREDENTIALS } from './workload.mjs';

/**
 * @typedef {'converse-small' | 'converse-large' | 'stream-paced' | 'stream-held-open'} Workload
 *
 * @typedef {object} Contender
 * @property {string} name
 * @property {string} origin
 * @property {(workload: Workload) => import('./load.mjs').Call | undefined} call Undefined when it does not serve it.
 * @property {import('./processes.mjs').ServerProcess} [server] Its process, to sample (none for the direct path).
 * @property {boolean} signsUpstream Whether the upstream must see a signature this contender made (the gateways).
 * @property {boolean} exactAnswer Whether the client gets the mock's answer byte for byte (all but translators).
 *
 * @typedef {(contender: Contender, connections: number) => import('undici').Dispatcher} ClientFor The load generator's
 *   keep-alive pool of `connections` connections to a contender (one per contender and size, made once).
 */

/** What each workload calls: upstream model id, gateway model group, operation, body. */
const WORKLOADS = {
  'converse-small': { modelId: CONVERSE_MODEL_ID, group: GROUPS.single, operation: 'converse', body: BODIES.small },
  'converse-large': { modelId: CONVERSE_MODEL_ID, group: GROUPS.single, operation: 'converse', body: BODIES.large },
  'stream-paced': { modelId: CONVERSE_MODEL_ID, group: GROUPS.single, operation: 'converse-stream', body: BODIES.small },
  'stream-held-open': { modelId: HELD_OPEN_MODEL_ID, group: GROUPS.heldOpen, operation: 'converse-stream', body: BODIES.small },
};
const SIGNING_DATE = new Date('2026-01-01T00:00:00Z');

/**
 * A contender that takes Bedrock's own requests: the direct path (no server between) and the bare proxies.
 * @param {string} name @param {string} origin @param {string} pathPrefix `/bedrock` when mounted there.
 * @param {import('./processes.mjs').ServerProcess} [server]
 * @returns {Contender}
 */
export function bedrockContender(name, origin, pathPrefix, server) {
  const host = new URL(origin).host;
  /** @type {Map<Workload, import('./load.mjs').Call>} */
  const calls = new Map();
  for (const [workload, { modelId, operation, body }] of Object.entries(WORKLOADS)) {
    const path = `${pathPrefix}/model/${encodeURIComponent(modelId)}/${operation}`;
    const headers = { 'content-type': 'application/json' };
    const signature = signRequest({ method: 'POST', host, path, headers, body }, { credentials: UPSTREAM_CREDENTIALS, region: REGION, date: SIGNING_DATE });
    calls.set(/** @type {Workload} */ (workload), { method: 'POST', path, headers: { ...headers, ...signature }, body });
  }
  return { name, origin, call: (workload) => calls.get(workload), server, signsUpstream: false, exactAnswer: true };
}

/**
 * The gateway (CLI or mounted in Express, both at /bedrock), called with the key; `group` overrides the model group of
 * the Converse workloads (the 50-deployment group).
 * @param {string} name @param {import('./processes.mjs').ServerProcess} server @param {string} [group]
 * @returns {Contender}
 */
export function gatewayContender(name, server, group) {
  /** @type {Map<Workload, import('./load.mjs').Call>} */
  const calls = new Map();
  for (const [workload, spec] of Object.entries(WORKLOADS)) {
    const modelGroup = group && spec.operation === 'converse' ? group : spec.group;
    calls.set(/** @type {Workload} */ (workload), {
      method: 'POST',
      path: `/bedrock/model/${encodeURIComponent(modelGroup)}/${spec.operation}`,
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body: spec.body,
    });
  }
  return { name, origin: server.origin, call: (workload) => calls.get(workload), server, signsUpstream: true, exactAnswer: true };
}

/**
 * Portkey's gateway as bench/contenders/portkey.mjs starts it, serving the small Converse workload only, with the
 * request that module makes (a Bedrock Converse call passed through, or an OpenAI chat completion it translates). Its
 * answer is Portkey's own (re-serialised or translated), so only its status is checked.
 * @param {string} name @param {string} url Portkey's base URL.
 * @param {{ method: string, path: string, headers: Record<string, string>, body?: unknown }} request
 * @returns {Contender}
 */
export function portkeyContender(name, url, request) {
  const base = new URL(url);
  // The path is taken as absolute unless it does not begin with the URL's own path (`http://host/v1` + `/chat/...`).
  const basePath = base.pathname.replace(/\/$/, '');
  const path = basePath === '' || request.path.startsWith(`${basePath}/`) ? request.path : `${basePath}${request.path}`;
  const body = typeof request.body === 'string' || Buffer.isBuffer(request.body) ? request.body : JSON.stringify(request.body);
  /** @type {import('./load.mjs').Call} */
  const converse = { method: /** @type {import('undici').Dispatcher.HttpMethod} */ (request.method.toUpperCase()), path, headers: request.headers, body };
  return { name, origin: base.origin, call: (workload) => (workload === 'converse-small' ? converse : undefined), signsUpstream: true, exactAnswer: false };
}

/**
 * The call of `workload` for `contender`, which must serve it.
 * @param {Contender} contender @param {Workload} workload
 */
export function callFor(contender, workload) {
  const call = contender.call(workload);
  if (!call) throw new Error(`${contender.name} does not serve ${workload}`);
  return call;
}
