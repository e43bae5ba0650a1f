// Mixed traffic against the gateways until a deadline: SDK clients on every operation, raw clients that give up at
// random moments, a rate-limited key and a key with a small budget, spread over both instances.
import { rawClient, sdkClient } from './clients.mjs';
import { KEYS } from './gateways.mjs';
import { OPERATIONS } from './answers.mjs';

/** How many calls of each kind are in flight at once (closed loops: each starts its next call when one ends). */
export const CONCURRENCY = { sdk: 4, aborting: 3, rpm: 2, budget: 3 };
/** The rate-limited key's loops pause this long between calls, so its 429s do not crowd out the other traffic. */
const RPM_PACE_MS = 100;
const BUDGET_PACE_MS = 50;

const pick = (items) => items[Math.floor(Math.random() * items.length)];
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A few calls of every operation on every instance, nothing aborted: warms the instances up before the baseline. */
export async function warmUp(gatewayUrls, callsPerOperation = 10) {
  const client = rawClient();
  const outcomes = [];
  for (const gatewayUrl of gatewayUrls) {
    for (const operation of OPERATIONS) {
      for (let call = 0; call < callsPerOperation; call += 1) outcomes.push(await client.call({ gatewayUrl, key: KEYS.master, operation, client: 'warm-up' }));
    }
  }
  await client.close();
  return outcomes;
}

/** Runs the traffic until `deadline` (ms since the epoch); resolves with every call's outcome once all have ended. */
export async function runTraffic(gatewayUrls, deadline) {
  const outcomes = [];
  const raw = rawClient();
  const sdks = Array.from({ length: CONCURRENCY.sdk }, (_, index) => sdkClient(gatewayUrls[index % gatewayUrls.length], KEYS.master));
  const loop = async (call, paceMs = 0) => {
    while (Date.now() < deadline) {
      outcomes.push(await call());
      if (paceMs) await pause(paceMs);
    }
  };
  const abortWays = [{ afterMs: 0 }, { afterMs: 2 }, { afterMs: 10 }, { afterMs: 50 }, { afterFirstChunk: true }];
  await Promise.all([
    ...sdks.map((sdk) => loop(() => sdk.call(pick(OPERATIONS)))),
    ...Array.from({ length: CONCURRENCY.aborting }, () =>
      // Half the calls are abandoned: at once, after a few ms, or when the answer starts arriving.
      loop(() => raw.call({ gatewayUrl: pick(gatewayUrls), key: KEYS.master, operation: pick(OPERATIONS), abort: Math.random() < 0.5 ? pick(abortWays) : undefined })),
    ),
    ...Array.from({ length: CONCURRENCY.rpm }, () =>
      loop(() => raw.call({ gatewayUrl: pick(gatewayUrls), key: KEYS.rpm.key, operation: pick(OPERATIONS), client: 'rpm' }), RPM_PACE_MS),
    ),
    ...Array.from({ length: CONCURRENCY.budget }, () =>
      loop(() => raw.call({ gatewayUrl: pick(gatewayUrls), key: KEYS.budget.key, operation: pick(OPERATIONS), client: 'budget' }), BUDGET_PACE_MS),
    ),
  ]);
  await raw.close();
  for (const sdk of sdks) sdk.close();
  return outcomes;
}
