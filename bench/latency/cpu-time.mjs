// @ts-check
/**
 * CPU time spent by each side while a slice of load runs: the load generator (this process) and each server process
 * (read through its probe, before and after, outside the timed stretch). Divided by the requests of the slice, it is
 * the cost per request, a steadier figure on a noisy machine than latency.
 */

/** @param {NodeJS.CpuUsage} usage */
const microseconds = (usage) => usage.user + usage.system;

/**
 * Runs `slice`, and returns its result with the CPU time (µs) the load generator and each of `servers` spent meanwhile.
 * @template T
 * @param {readonly (import('./processes.mjs').ServerProcess | undefined)[]} servers Undefined entries count as 0.
 * @param {() => Promise<T>} slice
 */
export async function withCpuTime(servers, slice) {
  const before = await Promise.all(servers.map((server) => server?.sample()));
  const generatorBefore = process.cpuUsage();
  const result = await slice();
  const generatorUs = microseconds(process.cpuUsage(generatorBefore));
  const after = await Promise.all(servers.map((server) => server?.sample()));
  const serverUs = after.map((sample, i) => {
    const earlier = before[i];
    return sample && earlier ? microseconds(sample.cpu) - microseconds(earlier.cpu) : 0;
  });
  return { result, generatorUs, serverUs };
}
