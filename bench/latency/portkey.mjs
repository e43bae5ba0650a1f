// @ts-check
/**
 * Portkey as an optional contender: bench/contenders/portkey.mjs (written separately) starts it against the mock and
 * says what to send it: `converseRequest()` and, when it offers one, `translatingConverseRequest()`; each becomes a
 * contender of its own. When that module is missing, fails to load or to start, the benchmarks go on without Portkey
 * and say why.
 */
import { existsSync } from 'node:fs';
import { portkeyContender } from './contenders.mjs';
import { REGION, UPSTREAM_CREDENTIALS } from './workload.mjs';

const MODULE = new URL('../contenders/portkey.mjs', import.meta.url);
const START_TIMEOUT_MS = 60_000;

/**
 * @typedef {{ method: string, path: string, headers: Record<string, string>, body?: unknown }} PortkeyRequest
 *
 * @typedef {object} RunningPortkey
 * @property {string} url
 * @property {string} [version]
 * @property {() => PortkeyRequest} converseRequest
 * @property {() => PortkeyRequest} [translatingConverseRequest]
 * @property {() => Promise<void>} close
 */

/**
 * The contenders of a running Portkey. Without the translating request, `converseRequest` is taken for what the
 * module's interface first said it was: an OpenAI chat request that Portkey translates.
 * @param {RunningPortkey} portkey
 */
function contendersOf(portkey) {
  const name = `Portkey${portkey.version ? ` ${portkey.version}` : ''}`;
  if (!portkey.translatingConverseRequest) return [portkeyContender(`${name} (translating OpenAI <-> Bedrock)`, portkey.url, portkey.converseRequest())];
  return [
    portkeyContender(`${name} (Converse passed through)`, portkey.url, portkey.converseRequest()),
    portkeyContender(`${name} (translating OpenAI <-> Bedrock)`, portkey.url, portkey.translatingConverseRequest()),
  ];
}

/**
 * Starts Portkey in front of `upstream`, or says why not.
 * @param {string} upstream The mock's origin.
 * @returns {Promise<{ contenders: import('./contenders.mjs').Contender[], close: () => Promise<void> } | { skipped: string }>}
 */
export async function startPortkeyIfPresent(upstream) {
  if (!existsSync(MODULE)) return { skipped: 'bench/contenders/portkey.mjs does not exist' };
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  try {
    const { startPortkey } = await import(MODULE.href);
    if (typeof startPortkey !== 'function') return { skipped: 'bench/contenders/portkey.mjs exports no startPortkey' };
    /** @type {Promise<RunningPortkey>} */
    const starting = Promise.resolve(startPortkey({ upstream, region: REGION, credentials: UPSTREAM_CREDENTIALS }));
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        // One that starts after all, too late, is stopped when it does.
        void starting.then((late) => late.close()).catch(() => undefined);
        reject(new Error(`it did not start within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
    });
    const portkey = /** @type {RunningPortkey} */ (await Promise.race([starting, timeout]));
    try {
      return { contenders: contendersOf(portkey), close: () => portkey.close() };
    } catch (error) {
      await portkey.close();
      throw error;
    }
  } catch (error) {
    return { skipped: `it failed to start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  } finally {
    clearTimeout(timer);
  }
}
