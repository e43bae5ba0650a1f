// @ts-check
/**
 * Where a process's CPU time went, from a V8 CPU profile (`.cpuprofile`, as probe.mjs or `node --cpu-prof` write it):
 * self time per function and per source file, idle time left out. For whoever optimises lib/.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IDLE = new Set(['(idle)', '(program)']);

/**
 * @typedef {object} ProfileNode
 * @property {number} id
 * @property {{ functionName: string, url: string, lineNumber: number }} callFrame
 *
 * @typedef {object} SelfTime
 * @property {string} name
 * @property {number} ms
 * @property {number} share Of the busy (not idle) time.
 */

/**
 * Where a script is, shortly: the file below the repository (`dist/aws/sigv4.js`), the package for dependencies
 * (`undici/lib/dispatcher/client-h1.js`), Node's own modules as they are named (`node:internal/streams/writable`).
 * @param {string} url
 */
function place(url) {
  if (url === '') return '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const dependency = path.lastIndexOf('node_modules/');
  if (dependency !== -1) return path.slice(dependency + 'node_modules/'.length);
  if (path.startsWith(ROOT)) return path.slice(ROOT.length);
  return path.startsWith('node:') ? path : `node:${path}`;
}

/**
 * Self time by function and by file, highest first.
 * @param {string} file @param {number} [top]
 */
export function summarizeProfile(file, top = 20) {
  /** @type {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} */
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  /** @type {Map<number, ProfileNode>} */
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  /** @type {Map<string, number>} */
  const byFunction = new Map();
  /** @type {Map<string, number>} */
  const byFile = new Map();
  let busyUs = 0;
  let idleUs = 0;
  // A sample's time is the gap to the next one (timeDeltas[i] is the gap before sample i).
  for (let i = 0; i < profile.samples.length - 1; i++) {
    const node = nodes.get(/** @type {number} */ (profile.samples[i]));
    const us = /** @type {number} */ (profile.timeDeltas[i + 1]);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (IDLE.has(functionName)) {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const where = place(url);
    const name = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byFile.set(where, (byFile.get(where) ?? 0) + us);
  }
  /** @param {Map<string, number>} totals @returns {SelfTime[]} */
  const ranked = (totals) =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / busyUs }));
  return { busyMs: busyUs / 1000, idleMs: idleUs / 1000, functions: ranked(byFunction), files: ranked(byFile) };
}

/**
 * The summary as lines of text.
 * @param {string} title @param {ReturnType<typeof summarizeProfile>} summary
 */
export function profileLines(title, summary) {
  const row = (/** @type {SelfTime} */ entry) => `  ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.ms.toFixed(0).padStart(6)} ms  ${entry.name}`;
  return [
    `${title}: ${summary.busyMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle`,
    'self time by function:',
    ...summary.functions.map(row),
    'self time by file:',
    ...summary.files.map(row),
  ];
}
