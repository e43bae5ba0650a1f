// @ts-check
/**
 * The gateway's added latency on loopback, against a direct call and bare proxies measured in the same run: starts the
 * mock and every contender in processes of their own, checks each answers right, runs the scenarios interleaved, and
 * returns rows for run.mjs's table (targets with PASS/MISS). See bench/README.md, "`latency/`".
 *
 * `benchLatency({ quick })` is what run.mjs calls; `node --expose-gc bench/latency/index.mjs [--quick]
 * [--profile-gateway] [--against <checkout>]` runs it alone and prints its own table.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { bedrockContender, gatewayContender } from './contenders.mjs';
import { GROUPS, writeGatewayConfig } from './gateway-config.mjs';
import { concurrent, loadClient } from './load.mjs';
import { startCliGateway, startServer } from './processes.mjs';
import { profileLines, summarizeProfile } from './profile-summary.mjs';
import { startPortkeyIfPresent } from './portkey.mjs';
import { latencyRows, openStreamRows, streamRows, throughputRows } from './report.mjs';
import { checkAnswer, checkContender } from './sanity.mjs';
import { measureConverseLatency } from './scenarios/converse-latency.mjs';
import { measureConverseThroughput } from './scenarios/converse-throughput.mjs';
import { measureOpenStreams } from './scenarios/open-streams.mjs';
import { measurePacedStreams } from './scenarios/paced-stream.mjs';
import { STREAM_SHAPES } from './workload.mjs';

/** @typedef {import('./processes.mjs').ServerProcess} ServerProcess */

/** How much of each scenario to run: the full run takes a few minutes, `--quick` about half a minute. */
export const LATENCY_PLANS = {
  full: {
    converse: { rounds: 15, requestsPerRound: 300, warmupRequests: 500, primeRequests: 30 },
    largeBody: { rounds: 10, requestsPerRound: 60, warmupRequests: 60, primeRequests: 10 },
    throughput: { concurrency: 64, rounds: 8, sliceMs: 800, warmupMs: 800, primeMs: 100 },
    pacedStream: { rounds: 8, streamsPerRound: 1, warmupStreams: 1, primeRequests: 30 },
    openStreams: { streams: 1000, warmupStreams: 50, settleMs: 1000, measureMs: 3000 },
    profileMs: 5000,
  },
  quick: {
    converse: { rounds: 3, requestsPerRound: 100, warmupRequests: 100, primeRequests: 20 },
    largeBody: { rounds: 3, requestsPerRound: 20, warmupRequests: 10, primeRequests: 5 },
    throughput: { concurrency: 64, rounds: 2, sliceMs: 200, warmupMs: 200, primeMs: 50 },
    pacedStream: { rounds: 1, streamsPerRound: 1, warmupStreams: 0, primeRequests: 20 },
    openStreams: { streams: 1000, warmupStreams: 20, settleMs: 300, measureMs: 1000 },
    profileMs: 2000,
  },
};

/**
 * Another checkout of the gateway, built (`npm run build` there), whose CLI joins the Converse scenarios as
 * "gateway CLI @ <commit>": before/after figures for a change, measured in the same run as everything else.
 * @param {string} directory
 * @returns {{ cli: string, label: string }}
 */
export function earlierBuild(directory) {
  const cli = join(resolve(directory), 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error(`--against ${directory}: no dist/cli.js there (run npm run build in that checkout first)`);
  let label = directory;
  try {
    label = execFileSync('git', ['-C', directory, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout: its directory names it.
  }
  return { cli, label };
}

/**
 * Runs every latency scenario.
 * @param {{ quick: boolean, profileGateway?: boolean, against?: string, log?: (line: string) => void }} options
 *   `against`: another built checkout whose CLI is measured alongside (see {@link earlierBuild}).
 * @returns {Promise<{ rows: object[], notes: string[], plan: object }>}
 */
export async function benchLatency({ quick, profileGateway = false, against, log = (line) => console.error(line) }) {
  const earlier = against === undefined ? undefined : earlierBuild(against);
  const plan = quick ? LATENCY_PLANS.quick : LATENCY_PLANS.full;
  /** @type {string[]} */
  const notes = [];
  /** @type {(() => Promise<void>)[]} */
  const cleanup = [];
  /** @type {Map<string, import('undici').Pool>} */
  const pools = new Map();
  /** @type {import('./contenders.mjs').ClientFor} */
  const client = (contender, connections) => {
    const key = `${contender.origin} ${connections}`;
    let pool = pools.get(key);
    if (!pool) pools.set(key, (pool = loadClient(contender.origin, connections)));
    return pool;
  };
  const stage = (/** @type {string} */ what) => {
    const started = performance.now();
    log(`latency: ${what} ...`);
    return () => log(`latency: ${what} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };

  try {
    let done = stage('starting the mock and the contenders');
    const mock = await startServer('mock', 'mock');
    cleanup.push(mock.close);
    const config = writeGatewayConfig(mock.origin);
    cleanup.push(async () => config.remove());
    // All at once; Portkey's start never throws (it says why it was skipped instead).
    const [started, portkey] = await Promise.all([
      Promise.allSettled([
        startServer('node proxy', 'node-proxy', { upstream: mock.origin }),
        startServer('express proxy', 'express-proxy', { upstream: mock.origin }),
        startCliGateway('gateway CLI', config.path),
        startServer('gateway in Express', 'gateway-express', { configPath: config.path }),
        ...(earlier ? [startCliGateway(`gateway CLI @ ${earlier.label}`, config.path, { cli: earlier.cli })] : []),
      ]),
      startPortkeyIfPresent(mock.origin),
    ]);
    for (const outcome of started) if (outcome.status === 'fulfilled') cleanup.push(outcome.value.close);
    if (!('skipped' in portkey)) cleanup.push(portkey.close);
    const [nodeProxyServer, expressProxyServer, cliServer, gatewayExpressServer, earlierServer] = /** @type {[ServerProcess, ServerProcess, ServerProcess, ServerProcess, ServerProcess | undefined]} */ (
      started.map((outcome) => {
        if (outcome.status === 'rejected') throw outcome.reason;
        return outcome.value;
      })
    );
    /** @type {import('./report.mjs').Cast} */
    const cast = {
      direct: bedrockContender('direct', mock.origin, ''),
      nodeProxy: bedrockContender('node proxy', nodeProxyServer.origin, '', nodeProxyServer),
      expressProxy: bedrockContender('Express proxy', expressProxyServer.origin, '/bedrock', expressProxyServer),
      cli: gatewayContender('gateway CLI', cliServer),
      gatewayExpress: gatewayContender('gateway in Express', gatewayExpressServer),
      cliFifty: gatewayContender('gateway CLI, 50 deployments', cliServer, GROUPS.fifty),
      earlierCli: earlierServer && gatewayContender(earlierServer.name, earlierServer),
      portkeys: [],
    };
    if ('skipped' in portkey) {
      notes.push(`Portkey skipped: ${portkey.skipped}.`);
      log(`latency: Portkey skipped: ${portkey.skipped}`);
    } else {
      for (const contender of portkey.contenders) {
        try {
          await checkContender(contender, mock, client(contender, 1), ['converse-small']);
          cast.portkeys.push(contender);
        } catch (error) {
          notes.push(`${contender.name} skipped: its answer failed the check: ${error instanceof Error ? error.message : String(error)}.`);
        }
      }
    }
    const earlierCli = cast.earlierCli ? [cast.earlierCli] : [];
    const ours = [cast.direct, cast.nodeProxy, cast.expressProxy, cast.cli, cast.gatewayExpress, cast.cliFifty, ...earlierCli];
    for (const contender of ours) await checkContender(contender, mock, client(contender, 1), ['converse-small', 'converse-large']);
    // A paced stream takes a second: all at once (its signing was checked with Converse, on the same code path).
    await Promise.all(ours.map((contender) => checkAnswer(contender, mock, client(contender, 1), 'stream-paced')));
    done();

    const rows = [];
    const smallBodyContenders = [cast.direct, cast.nodeProxy, cast.expressProxy, cast.cli, cast.gatewayExpress, cast.cliFifty, ...earlierCli, ...cast.portkeys];
    done = stage('converse 1 KB at concurrency 1');
    const small = await measureConverseLatency({ contenders: smallBodyContenders, workload: 'converse-small', ...plan.converse, mock, client });
    rows.push(...latencyRows('converse 1 KB c=1', small, cast, true));
    done();

    done = stage('converse 200 KB at concurrency 1');
    const sameWork = [cast.direct, cast.nodeProxy, cast.expressProxy, cast.cli, cast.gatewayExpress];
    const large = await measureConverseLatency({ contenders: sameWork, workload: 'converse-large', ...plan.largeBody, mock, client });
    rows.push(...latencyRows('converse 200 KB c=1', large, cast, false));
    done();

    done = stage(`converse 1 KB at concurrency ${plan.throughput.concurrency}`);
    const throughputContenders = [...sameWork, ...earlierCli, ...cast.portkeys];
    const throughput = await measureConverseThroughput({ contenders: throughputContenders, ...plan.throughput, mock, client });
    rows.push(...throughputRows(`converse 1 KB c=${plan.throughput.concurrency}`, throughput, cast));
    done();

    const paced = `${STREAM_SHAPES.paced.frames} frames ${STREAM_SHAPES.paced.gapMs} ms apart`;
    done = stage(`converse-stream, ${paced}`);
    const streamContenders = [cast.direct, cast.nodeProxy, cast.cli, cast.gatewayExpress];
    const streams = await measurePacedStreams({ contenders: streamContenders, ...plan.pacedStream, mock, client });
    rows.push(...streamRows(`stream ${paced}`, streams, cast));
    done();

    if (profileGateway) {
      done = stage('profiling the gateway CLI at concurrency 64');
      notes.push(...(await profileCli(cast.cli, plan.profileMs, plan.throughput.concurrency, client)));
      done();
    }
    for (const pool of pools.values()) await pool.close();
    pools.clear();

    done = stage(`${plan.openStreams.streams} open streams (fresh processes)`);
    /**
     * Measures open streams through a server process started for it alone, stopped after.
     * @param {() => Promise<import('./processes.mjs').ServerProcess>} start
     * @param {(server: import('./processes.mjs').ServerProcess) => import('./contenders.mjs').Contender} contenderOf
     */
    const throughFreshProcess = async (start, contenderOf) => {
      const server = await start();
      cleanup.push(server.close);
      try {
        return await measureOpenStreams({ contender: contenderOf(server), ...plan.openStreams });
      } finally {
        await server.close();
      }
    };
    const gatewayOpen = await throughFreshProcess(
      () => startCliGateway('gateway CLI', config.path),
      (server) => gatewayContender('gateway CLI', server),
    );
    const proxyOpen = await throughFreshProcess(
      () => startServer('node proxy', 'node-proxy', { upstream: mock.origin }),
      (server) => bedrockContender('node proxy', server.origin, '', server),
    );
    rows.push(...openStreamRows(`${plan.openStreams.streams} open streams`, gatewayOpen, proxyOpen));
    done();

    return { rows, notes, plan };
  } finally {
    for (const pool of pools.values()) await pool.destroy();
    for (const step of cleanup.reverse()) await step().catch((error) => log(`latency: cleanup failed: ${error}`));
  }
}

/**
 * A CPU profile of the CLI process under Converse at concurrency 64, alone (after the measurements, so the profiler's
 * own cost is in no figure), written to bench/results/ and summarised.
 * @param {import('./contenders.mjs').Contender} cli @param {number} ms @param {number} concurrency
 * @param {import('./contenders.mjs').ClientFor} client
 */
async function profileCli(cli, ms, concurrency, client) {
  const server = /** @type {import('./processes.mjs').ServerProcess} */ (cli.server);
  const directory = new URL('../results/', import.meta.url);
  mkdirSync(directory, { recursive: true });
  const file = fileURLToPath(new URL(`${new Date().toISOString().replace(/:/g, '-')}-gateway-cli.cpuprofile`, directory));
  const call = /** @type {import('./load.mjs').Call} */ (cli.call('converse-small'));
  await server.ask({ probe: 'profile-start' });
  const { requests } = await concurrent(client(cli, concurrency), call, concurrency, ms);
  await server.ask({ probe: 'profile-stop', file });
  return [`CPU profile of the gateway CLI, ${requests} Converse requests at c=${concurrency}: ${file}`, ...profileLines('gateway CLI', summarizeProfile(file))];
}

/** The value after `flag` on the command line, if given. @param {string} flag */
export function optionValue(flag) {
  const index = process.argv.indexOf(flag);
  return index === -1 ? undefined : process.argv[index + 1];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { printTable } = await import('../table.mjs');
  const { rows, notes } = await benchLatency({
    quick: process.argv.includes('--quick'),
    profileGateway: process.argv.includes('--profile-gateway'),
    against: optionValue('--against'),
  });
  printTable(rows);
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
}
