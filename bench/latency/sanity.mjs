// @ts-check
/**
 * One request per contender and workload before anything is timed, so that no contender is fast because it does
 * less: the answer must be the mock's bytes (a translator's just a 200), and what reached the mock must carry the
 * right authorization: a SigV4 signature with the deployment's credentials when the contender signs (the gateway
 * must re-sign), else exactly the client's own header (a bare proxy passes it through).
 */
import { createHash } from 'node:crypto';
import { callFor } from './contenders.mjs';
import { send } from './load.mjs';
import { UPSTREAM_CREDENTIALS } from './workload.mjs';

/** @param {Buffer} bytes */
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * Sends `workload` once and throws unless the answer is a 200 with the mock's exact bytes (any 200 for a contender
 * whose answer is its own); returns the call it sent.
 * @param {import('./contenders.mjs').Contender} contender @param {import('./processes.mjs').ServerProcess} mock
 * @param {import('undici').Dispatcher} pool @param {import('./contenders.mjs').Workload} workload
 */
export async function checkAnswer(contender, mock, pool, workload) {
  const expected = { 'converse-small': mock.facts.converse, 'converse-large': mock.facts.converse, 'stream-paced': mock.facts.paced };
  const call = callFor(contender, workload);
  const where = `${contender.name}, ${workload}`;
  const answer = await send(pool, call, { keepBody: true }).done;
  const body = /** @type {Buffer} */ (answer.body);
  if (answer.status !== 200) throw new Error(`${where}: status ${answer.status}: ${body.toString('utf8').slice(0, 300)}`);
  const want = expected[/** @type {keyof typeof expected} */ (workload)];
  if (contender.exactAnswer && want && sha256(body) !== want.sha256) {
    throw new Error(`${where}: the answer (${body.length} bytes) is not the mock's (${want.length} bytes)`);
  }
  return call;
}

/**
 * Checks `workloads` one after the other, each answer and then what reached the mock (the last request it got, so no
 * other request may run meanwhile).
 * @param {import('./contenders.mjs').Contender} contender @param {import('./processes.mjs').ServerProcess} mock
 * @param {import('undici').Dispatcher} pool @param {readonly import('./contenders.mjs').Workload[]} workloads
 */
export async function checkContender(contender, mock, pool, workloads) {
  for (const workload of workloads) {
    const call = await checkAnswer(contender, mock, pool, workload);
    /** @type {import('node:http').IncomingHttpHeaders} */
    const upstream = await mock.ask({ command: 'lastRequestHeaders' });
    const authorization = String(upstream.authorization ?? '');
    const where = `${contender.name}, ${workload}`;
    if (contender.signsUpstream) {
      if (!authorization.startsWith(`AWS4-HMAC-SHA256 Credential=${UPSTREAM_CREDENTIALS.accessKeyId}/`)) {
        throw new Error(`${where}: the mock got no SigV4 signature of the deployment's credentials (authorization: ${authorization || 'none'})`);
      }
    } else if (authorization !== (call.headers.authorization ?? '')) {
      throw new Error(`${where}: the client's authorization did not reach the mock unchanged`);
    }
  }
}
