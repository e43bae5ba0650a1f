// @ts-check
/**
 * The results table run.mjs prints (and the latency benchmarks when run alone): one row per result, columns aligned.
 * Rows of ours-versus-reference rates are formatted here; scenarios measured otherwise (latencies, the routing run,
 * per-pick times) bring their own texts.
 */

/** @param {number} value @param {string} unit */
function rate(value, unit) {
  return unit === 'MB/s' ? `${value.toFixed(1)} MB/s` : `${Math.round(value).toLocaleString('en-US')}/s`;
}

const HEADER = ['scenario', 'ours', 'reference', 'ratio', 'target', 'result', 'rounds'];

/**
 * A row of the table.
 * @param {any} result
 */
const line = (result) => [
  result.scenario,
  result.oursText ?? rate(result.ours, result.unit),
  result.referenceText ?? rate(result.reference, result.unit),
  result.ratioText ?? `${result.ratio.toFixed(2)}x`,
  result.targetText ?? (result.target === undefined ? '-' : `>= ${result.target}x`),
  result.verdict,
  result.roundsText ?? (result.roundRatioMin === undefined ? '-' : `${result.roundRatioMin.toFixed(2)}-${result.roundRatioMax.toFixed(2)}x`),
];

/**
 * Prints the results as an aligned table on stdout.
 * @param {readonly object[]} results
 */
export function printTable(results) {
  const lines = results.map(line);
  const widths = HEADER.map((title, i) => Math.max(title.length, ...lines.map((cells) => (cells[i] ?? '').length)));
  const format = (/** @type {string[]} */ cells) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  console.log(format(HEADER));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const cells of lines) console.log(format(cells));
}
