// @ts-check
/**
 * The latency benchmarks' rows for run.mjs's table and JSON: figures per contender (median over rounds of per-round
 * figures), the targets of the issue with PASS or MISS, and `info` rows for context. "Added" latency is a contender's
 * figure minus the direct path's in the same round, so the load generator's and the mock's own time cancel out.
 */
import { ascending, median, pairedDifference, quantile } from './interleave.mjs';

/** The issue's targets: reported, not enforced. */
export const TARGETS = {
  /** CLI added p50 at c=1 ≤ 2x the bare Node proxy's (aim 1.5x). */
  cliAddedP50VsNodeProxy: { max: 2, aim: 1.5 },
  cliAddedP99Ms: 2,
  /** CLI requests/s at c=64 ≥ 0.8x the bare Node proxy's. */
  cliThroughputVsNodeProxy: 0.8,
  /** Mounted in Express: added p50 ≤ 1.5x a bare proxy route in the same kind of app. */
  expressAddedP50VsExpressProxy: 1.5,
  streamAddedFirstByteMs: 1,
  /** No frame later than the bare Node proxy's frames by more than this. */
  streamFrameDelayMs: 1,
  openStreamBytes: 64 * 1024,
  openStreamLagP99Ms: 20,
};

/** @param {number} ms */
export function duration(ms) {
  return Math.abs(ms) < 1 ? `${Math.round(ms * 1000)} µs` : `${ms.toFixed(2)} ms`;
}
/** @param {number} value */
const times = (value) => `${value.toFixed(2)}x`;
/** @param {number} bytes */
const kilobytes = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
/** @param {number} value */
const perSecond = (value) => `${Math.round(value).toLocaleString('en-US')}/s`;
/** @param {number} us */
const cpu = (us) => `${us.toFixed(0)} µs CPU/req`;
/** @param {readonly number[]} values @param {(value: number) => string} format */
const spread = (values, format) => `${format(Math.min(...values))} to ${format(Math.max(...values))}`;

/**
 * @typedef {object} Row What run.mjs prints (texts) and writes (everything).
 * @property {string} scenario
 * @property {string} oursText
 * @property {string} referenceText
 * @property {string} ratioText
 * @property {string} targetText
 * @property {'PASS' | 'MISS' | 'info'} verdict
 * @property {string} roundsText How the figure moved over the rounds.
 */

/**
 * @param {Partial<Row> & { scenario: string, oursText: string }} fields @param {object} [data] Raw figures, for the JSON.
 * @returns {Row & { data?: object }}
 */
function row(fields, data) {
  return { referenceText: '-', ratioText: '-', targetText: '-', verdict: 'info', roundsText: '-', ...fields, ...(data ? { data } : {}) };
}

/** @param {boolean} passed @returns {'PASS' | 'MISS'} */
const verdict = (passed) => (passed ? 'PASS' : 'MISS');

/**
 * Ours against a reference, each a per-round series: the ratio of the medians, and the per-round ratios' spread.
 * @param {number[]} ours @param {number[]} reference
 */
function ratioOf(ours, reference) {
  const perRound = ours.map((value, r) => value / /** @type {number} */ (reference[r]));
  return { ratio: median(ours) / median(reference), roundsText: spread(perRound, times), perRound };
}

/**
 * @template T
 * @param {Map<import('./contenders.mjs').Contender, T[]>} results @param {import('./contenders.mjs').Contender} contender
 * @param {(round: T) => number} pick
 */
function series(results, contender, pick) {
  return (results.get(contender) ?? []).map(pick);
}

/**
 * @typedef {object} Cast Who plays which part in the rows.
 * @property {import('./contenders.mjs').Contender} direct
 * @property {import('./contenders.mjs').Contender} nodeProxy
 * @property {import('./contenders.mjs').Contender} expressProxy
 * @property {import('./contenders.mjs').Contender} cli
 * @property {import('./contenders.mjs').Contender} gatewayExpress
 * @property {import('./contenders.mjs').Contender} cliFifty The CLI, called with the 50-deployment group.
 * @property {import('./contenders.mjs').Contender | undefined} earlierCli Another build's CLI (`--against`), if any.
 * @property {import('./contenders.mjs').Contender[]} portkeys Portkey's requests that passed the check (none without Portkey).
 */

/**
 * Rows of a concurrency-1 Converse run: the direct path and what it costs the load generator; each contender's added
 * p50 and p99; with `targets`, the CLI's and the Express mount's targets, CPU per request, the 50-deployment group and
 * Portkey when they ran.
 * @param {string} label @param {Map<import('./contenders.mjs').Contender, import('./scenarios/converse-latency.mjs').LatencyRound[]>} results
 * @param {Cast} cast @param {boolean} targets
 */
export function latencyRows(label, results, cast, targets) {
  const { direct, nodeProxy, expressProxy, cli, gatewayExpress, cliFifty, earlierCli, portkeys } = cast;
  const added = (/** @type {import('./contenders.mjs').Contender} */ contender, /** @type {'p50' | 'p99'} */ quantile) =>
    pairedDifference(series(results, contender, (round) => round[quantile]), series(results, direct, (round) => round[quantile]));
  const cpuPerRequest = (/** @type {import('./contenders.mjs').Contender} */ contender) => series(results, contender, (round) => round.serverCpuUs);
  const rows = [];

  const directP50 = series(results, direct, (round) => round.p50);
  rows.push(
    row(
      {
        scenario: `${label}: direct to the mock (load generator + mock)`,
        oursText: `p50 ${duration(median(directP50))}, p99 ${duration(median(series(results, direct, (round) => round.p99)))}`,
        referenceText: `client ${cpu(median(series(results, direct, (round) => round.generatorCpuUs)))}, mock ${cpu(median(series(results, direct, (round) => round.mockCpuUs)))}`,
        roundsText: spread(directP50, duration),
      },
      { rounds: results.get(direct) },
    ),
  );
  for (const contender of [nodeProxy, expressProxy, cli, gatewayExpress, cliFifty, earlierCli, ...portkeys]) {
    if (!contender || !results.has(contender)) continue;
    const p50 = added(contender, 'p50');
    const p99 = added(contender, 'p99');
    rows.push(
      row(
        {
          scenario: `${label}: added p50 (p99), ${contender.name}`,
          oursText: `${duration(p50.median)} (${duration(p99.median)})`,
          referenceText: contender.server ? cpu(median(cpuPerRequest(contender))) : '-',
          roundsText: spread(p50.rounds, duration),
        },
        { addedP50Ms: p50, addedP99Ms: p99, rounds: results.get(contender) },
      ),
    );
  }

  /**
   * A row comparing two contenders' added p50, with a target (`max`, and `aim` to print) when `targets` asks for it.
   * @param {import('./contenders.mjs').Contender} ours @param {import('./contenders.mjs').Contender} reference
   * @param {{ max: number, aim?: number }} [target]
   */
  const addedP50Ratio = (ours, reference, target) => {
    const oursP50 = added(ours, 'p50');
    const referenceP50 = added(reference, 'p50');
    const { ratio, roundsText, perRound } = ratioOf(oursP50.rounds, referenceP50.rounds);
    const targetText = target && `<= ${target.max}x${target.aim === undefined ? '' : ` (aim ${target.aim}x)`}`;
    return row(
      {
        scenario: `${label}: added p50, ${ours.name} / ${reference.name}`,
        oursText: duration(oursP50.median),
        referenceText: duration(referenceP50.median),
        ratioText: times(ratio),
        ...(targets && target ? { targetText, verdict: verdict(ratio <= target.max) } : {}),
        roundsText,
      },
      { ratio, perRound },
    );
  };
  const cliP50 = added(cli, 'p50');
  rows.push(addedP50Ratio(cli, nodeProxy, TARGETS.cliAddedP50VsNodeProxy));
  if (earlierCli && results.has(earlierCli)) rows.push(addedP50Ratio(cli, earlierCli));
  rows.push(addedP50Ratio(gatewayExpress, expressProxy, { max: TARGETS.expressAddedP50VsExpressProxy }));
  if (!targets) return rows;

  const cliP99 = added(cli, 'p99');
  rows.push(
    row(
      {
        scenario: `${label}: added p99, ${cli.name}`,
        oursText: duration(cliP99.median),
        referenceText: `${nodeProxy.name} ${duration(added(nodeProxy, 'p99').median)}`,
        targetText: `<= ${TARGETS.cliAddedP99Ms} ms`,
        verdict: verdict(cliP99.median <= TARGETS.cliAddedP99Ms),
        roundsText: spread(cliP99.rounds, duration),
      },
      { addedP99Ms: cliP99 },
    ),
  );
  const cpuRatio = ratioOf(cpuPerRequest(cli), cpuPerRequest(nodeProxy));
  rows.push(
    row({
      scenario: `${label}: CPU per request, ${cli.name} / ${nodeProxy.name}`,
      oursText: cpu(median(cpuPerRequest(cli))),
      referenceText: cpu(median(cpuPerRequest(nodeProxy))),
      ratioText: times(cpuRatio.ratio),
      roundsText: cpuRatio.roundsText,
    }),
  );
  if (cliFifty && results.has(cliFifty)) {
    const extra = pairedDifference(added(cliFifty, 'p50').rounds, cliP50.rounds);
    rows.push(
      row(
        {
          scenario: `${label}: balancer end to end, added p50 with 50 deployments - with 1 (CLI)`,
          oursText: `${extra.median >= 0 ? '+' : ''}${duration(extra.median)}`,
          referenceText: `1 deployment ${duration(cliP50.median)}`,
          ratioText: times(median(added(cliFifty, 'p50').rounds) / cliP50.median),
          roundsText: spread(extra.rounds, duration),
        },
        { extraMs: extra },
      ),
    );
  }
  return rows;
}

/**
 * Rows of the concurrency-64 run: the CLI's throughput target against the bare Node proxy, the others for context.
 * @param {string} label @param {Map<import('./contenders.mjs').Contender, import('./scenarios/converse-throughput.mjs').ThroughputRound[]>} results
 * @param {Cast} cast
 */
export function throughputRows(label, results, cast) {
  const { direct, nodeProxy, expressProxy, cli, gatewayExpress, earlierCli, portkeys } = cast;
  const rate = (/** @type {import('./contenders.mjs').Contender} */ contender) => series(results, contender, (round) => round.requestsPerSecond);
  const cpuOf = (/** @type {import('./contenders.mjs').Contender} */ contender, /** @type {'generatorCpuUs' | 'serverCpuUs' | 'mockCpuUs'} */ side) =>
    median(series(results, contender, (round) => round[side]));
  /** Requests/s, and the CPU time of the contender's process per request when it is ours to sample. */
  const rateAndCpu = (/** @type {import('./contenders.mjs').Contender} */ contender) =>
    `${perSecond(median(rate(contender)))}${contender.server ? ` (${cpu(cpuOf(contender, 'serverCpuUs'))})` : ''}`;
  /**
   * @param {import('./contenders.mjs').Contender} ours @param {import('./contenders.mjs').Contender} reference @param {number} [target]
   */
  const compare = (ours, reference, target) => {
    const { ratio, roundsText, perRound } = ratioOf(rate(ours), rate(reference));
    return row(
      {
        scenario: `${label}: requests/s, ${ours.name} / ${reference.name}`,
        oursText: rateAndCpu(ours),
        referenceText: rateAndCpu(reference),
        ratioText: times(ratio),
        ...(target === undefined ? {} : { targetText: `>= ${target}x`, verdict: verdict(ratio >= target) }),
        roundsText,
      },
      { ratio, perRound, ours: results.get(ours), reference: results.get(reference) },
    );
  };
  return [
    row(
      {
        scenario: `${label}: requests/s, direct to the mock`,
        oursText: perSecond(median(rate(direct))),
        referenceText: `client ${cpu(cpuOf(direct, 'generatorCpuUs'))}, mock ${cpu(cpuOf(direct, 'mockCpuUs'))}`,
        roundsText: spread(rate(direct), perSecond),
      },
      { rounds: results.get(direct) },
    ),
    compare(cli, nodeProxy, TARGETS.cliThroughputVsNodeProxy),
    compare(expressProxy, nodeProxy),
    compare(gatewayExpress, expressProxy),
    ...(earlierCli && results.has(earlierCli) ? [compare(cli, earlierCli)] : []),
    ...portkeys.filter((portkey) => results.has(portkey)).map((portkey) => compare(portkey, nodeProxy)),
  ];
}

/**
 * Rows of the paced stream: added time to first byte (over the direct path); frames' time in transit beyond the bare
 * Node proxy's: p99 over every frame of every round (the slowest 1% is left to the machine's hiccups, which the max
 * shows), and the first frame's, with how often it was held back; the longest stall in the process. Targets for the
 * CLI, the Express mount for context.
 * @param {string} label @param {Map<import('./contenders.mjs').Contender, import('./scenarios/paced-stream.mjs').StreamRound[]>} results
 * @param {Cast} cast
 */
export function streamRows(label, results, cast) {
  const { direct, nodeProxy, cli, gatewayExpress } = cast;
  /** @typedef {import('./scenarios/paced-stream.mjs').StreamRound} StreamRound */
  const pick = (/** @type {import('./contenders.mjs').Contender} */ contender, /** @type {(round: StreamRound) => number} */ figure) =>
    series(results, contender, figure);
  const total = (/** @type {import('./contenders.mjs').Contender} */ contender, /** @type {(round: StreamRound) => number} */ figure) =>
    pick(contender, figure).reduce((sum, count) => sum + count, 0);
  /** Every frame of every round, ascending, and its quantiles. @param {import('./contenders.mjs').Contender} contender */
  const transit = (contender) => {
    const all = ascending((results.get(contender) ?? []).flatMap((round) => round.transitMs));
    return { p50: quantile(all, 0.5), p99: quantile(all, 0.99), max: quantile(all, 1), frames: all.length };
  };
  const firstByteOver = (/** @type {import('./contenders.mjs').Contender} */ contender) =>
    pairedDifference(pick(contender, (round) => round.firstByteMs), pick(direct, (round) => round.firstByteMs));
  const nodeFirstByte = firstByteOver(nodeProxy);
  const nodeTransit = transit(nodeProxy);
  const nodeP99 = pick(nodeProxy, (round) => quantile(round.transitMs, 0.99));
  /** The longest GC pause (and its kind) and event-loop stall over the rounds. @param {import('./contenders.mjs').Contender} contender */
  const stalls = (contender) => {
    const rounds = results.get(contender) ?? [];
    const longest = rounds.reduce((a, b) => ((b.gcPauseMaxMs ?? 0) > (a?.gcPauseMaxMs ?? 0) ? b : a), rounds[0]);
    const kind = longest?.gcPauseKind ? ` ${longest.gcPauseKind}` : '';
    return `GC${kind} ${duration(longest?.gcPauseMaxMs ?? 0)}, loop ${duration(Math.max(...rounds.map((round) => round.lagMaxMs ?? 0)))}`;
  };
  return [cli, gatewayExpress].flatMap((contender) => {
    const targets = contender === cli;
    /** @param {number} value @param {number} limit */
    const check = (value, limit) => (targets ? { targetText: `<= ${duration(limit)}`, verdict: verdict(value <= limit) } : {});
    const firstByte = firstByteOver(contender);
    const frames = transit(contender);
    const p99PerRound = pairedDifference(pick(contender, (round) => quantile(round.transitMs, 0.99)), nodeP99);
    const firstFrame = pairedDifference(pick(contender, (round) => round.firstFrameTransitMs), pick(nodeProxy, (round) => round.firstFrameTransitMs));
    const held = total(contender, (round) => round.firstFrameHeld);
    const streams = total(contender, (round) => round.streams);
    return [
      row(
        {
          scenario: `${label}: added time to first byte, ${contender.name}`,
          oursText: duration(firstByte.median),
          referenceText: `${nodeProxy.name} ${duration(nodeFirstByte.median)}`,
          ...check(firstByte.median, TARGETS.streamAddedFirstByteMs),
          roundsText: spread(firstByte.rounds, duration),
        },
        { addedFirstByteMs: firstByte, nodeProxyAddedFirstByteMs: nodeFirstByte },
      ),
      row(
        {
          scenario: `${label}: frames in transit, p99 (max) beyond ${nodeProxy.name}'s, ${contender.name}`,
          oursText: `${duration(frames.p99 - nodeTransit.p99)} (${duration(frames.max - nodeTransit.max)})`,
          referenceText: `${nodeProxy.name} p50 ${duration(nodeTransit.p50)}, p99 ${duration(nodeTransit.p99)} (${duration(nodeTransit.max)})`,
          ...check(frames.p99 - nodeTransit.p99, TARGETS.streamFrameDelayMs),
          roundsText: spread(p99PerRound.rounds, duration),
        },
        { transitMs: frames, nodeProxyTransitMs: nodeTransit, p99BeyondNodeProxyPerRoundMs: p99PerRound.rounds },
      ),
      row(
        {
          scenario: `${label}: first frame in transit beyond ${nodeProxy.name}'s (held back), ${contender.name}`,
          oursText: `${duration(firstFrame.median)} (${held} of ${streams})`,
          referenceText: `(${nodeProxy.name} ${total(nodeProxy, (round) => round.firstFrameHeld)} of ${streams})`,
          ...check(firstFrame.median, TARGETS.streamFrameDelayMs),
          roundsText: spread(firstFrame.rounds, duration),
        },
        { firstFrameBeyondNodeProxyMs: firstFrame, heldBack: held, streams },
      ),
      row({
        scenario: `${label}: longest pause in the process, ${contender.name}`,
        oursText: stalls(contender),
        referenceText: `${nodeProxy.name} ${stalls(nodeProxy)}`,
      }),
    ];
  });
}

/**
 * Rows of the open streams: memory per stream and event-loop lag of the CLI, the bare Node proxy's for reference.
 * @param {string} label @param {import('./scenarios/open-streams.mjs').OpenStreamsResult} gateway
 * @param {import('./scenarios/open-streams.mjs').OpenStreamsResult | undefined} reference
 */
export function openStreamRows(label, gateway, reference) {
  const memory = (/** @type {import('./scenarios/open-streams.mjs').OpenStreamsResult} */ result) =>
    `${kilobytes(result.rssPerStreamBytes)} RSS (heap ${kilobytes(result.heapPerStreamBytes)})`;
  const allOpen = gateway.openWhenMeasured === gateway.streams;
  const note = allOpen ? '' : ` (only ${gateway.openWhenMeasured} open)`;
  return [
    row(
      {
        scenario: `${label}: memory per open stream, ${gateway.name}`,
        oursText: `${memory(gateway)}${note}`,
        referenceText: reference ? `${reference.name} ${memory(reference)}` : '-',
        targetText: `<= ${kilobytes(TARGETS.openStreamBytes)} RSS`,
        verdict: verdict(allOpen && gateway.rssPerStreamBytes <= TARGETS.openStreamBytes),
      },
      { gateway, reference },
    ),
    row({
      scenario: `${label}: event-loop lag p99 (max), ${gateway.name}`,
      oursText: `${duration(gateway.lagMs.p99)} (${duration(gateway.lagMs.max)})`,
      referenceText: reference ? `${reference.name} ${duration(reference.lagMs.p99)} (${duration(reference.lagMs.max)})` : '-',
      targetText: `<= ${TARGETS.openStreamLagP99Ms} ms`,
      verdict: verdict(allOpen && gateway.lagMs.p99 <= TARGETS.openStreamLagP99Ms),
      roundsText: `opened in ${duration(gateway.openingMs)}`,
    }),
  ];
}
