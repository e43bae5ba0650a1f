// The soak's verdicts, each `{ name, ok, detail }`. Inputs: the clients' outcomes, the gateways' usage records (their
// `request` log lines), the emulator's recorded calls, the shared counters read from Redis, and /proc samples.
import { emulatorAnswerHadUsage, tagIn } from './answers.mjs';
import { FIXED_USAGE, KEYS, USD_PER_CALL } from './gateways.mjs';
import { CONCURRENCY } from './traffic.mjs';

const MINUTE_MS = 60_000;
/**
 * RSS after the soak may exceed the baseline by this much: V8 keeps the heap it grew to under load (it gives memory
 * back lazily), so the bound is on growth, sized to catch a per-request leak (1 KB kept per call is 10 MB after
 * 10,000 calls and more over a longer run) while tolerating the steady state of a busy heap.
 */
export const RSS_TOLERANCE_BYTES = 48 * 1024 * 1024;

const check = (name, ok, detail) => ({ name, ok, detail });

/** Every call ended in exactly one well-formed outcome, and each answered call is exactly one usage record. */
export function checkAnswers(outcomes, records) {
  const malformed = outcomes.filter((outcome) => outcome.kind.startsWith('malformed:'));
  const byRequestId = new Map();
  const duplicated = [];
  for (const record of records) {
    if (byRequestId.has(record.request_id)) duplicated.push(record.request_id);
    byRequestId.set(record.request_id, record);
  }
  const seen = new Set();
  const unmatched = [];
  for (const outcome of outcomes) {
    if (outcome.requestId === undefined) continue;
    seen.add(outcome.requestId);
    const record = byRequestId.get(outcome.requestId);
    // A call abandoned after its head may still have its record say 200: only the status of answered calls must agree.
    if (!record || (outcome.kind !== 'client-aborted' && record.status !== outcome.status)) unmatched.push(outcome);
  }
  const abortedBeforeHead = outcomes.filter((outcome) => outcome.kind === 'client-aborted' && outcome.requestId === undefined).length;
  // Records no client saw the head of: calls abandoned before it (the gateway may have finished them all the same).
  const unseenRecords = records.filter((record) => !seen.has(record.request_id)).length;
  return [
    check('every call got one well-formed answer', malformed.length === 0, malformed.length ? `${malformed.length} malformed, e.g. ${JSON.stringify(malformed.slice(0, 3))}` : `${outcomes.length} calls`),
    check(
      'each answer is exactly one usage record',
      duplicated.length === 0 && unmatched.length === 0 && unseenRecords <= abortedBeforeHead,
      `${duplicated.length} duplicated ids, ${unmatched.length} answers without their record, ${unseenRecords} records of calls abandoned before the head (of ${abortedBeforeHead} such calls)`,
    ),
  ];
}

/**
 * The gateways' records account for every call the emulator served: as many attempts in all as calls it received
 * (give or take the attempts abandoned with their client, which may not have reached it), and per call the client saw
 * through, the same number of attempts and full usage exactly when the emulator's last answer
 * was whole and reported it.
 */
export function checkAccounting(outcomes, records, emulatorRequests) {
  const attempts = records.flatMap((record) => record.attempts);
  // An attempt abandoned because its client left may or may not have reached the emulator; every other one did.
  const surelySent = attempts.filter((attempt) => attempt.error_type !== 'ClientGone').length;
  const rejected = emulatorRequests.filter((request) => !request.auth?.accepted);
  const callsByTag = new Map();
  for (const request of emulatorRequests) {
    const tag = tagIn(request.body);
    callsByTag.set(tag, [...(callsByTag.get(tag) ?? []), request]);
  }
  const byRequestId = new Map(records.map((record) => [record.request_id, record]));
  const mismatches = [];
  let fullyCounted = 0;
  for (const outcome of outcomes) {
    const record = byRequestId.get(outcome.requestId);
    if (!record || outcome.kind === 'client-aborted') continue;
    const calls = callsByTag.get(outcome.tag) ?? [];
    const last = calls.at(-1);
    const emulatorReported = last !== undefined && emulatorAnswerHadUsage(last);
    const recordFull =
      record.usage_complete === true &&
      record.input_tokens === FIXED_USAGE.inputTokens &&
      record.output_tokens === FIXED_USAGE.outputTokens &&
      Math.abs(record.cost_usd - USD_PER_CALL) < 1e-12;
    if (recordFull) fullyCounted += 1;
    const clientComplete = outcome.kind === 'complete';
    if (calls.length !== record.attempts.length || emulatorReported !== recordFull || clientComplete !== recordFull) {
      mismatches.push({ tag: outcome.tag, kind: outcome.kind, emulatorCalls: calls.length, attempts: record.attempts.length, emulatorReported, record });
    }
  }
  return [
    check(
      'usage records add up to the emulator’s calls',
      surelySent <= emulatorRequests.length && emulatorRequests.length <= attempts.length && rejected.length === 0,
      `${emulatorRequests.length} calls served by the emulator (${rejected.length} refused its signature); ${attempts.length} attempts in the records, ${attempts.length - surelySent} of them abandoned by their client`,
    ),
    check(
      'each answered call counted once, with its usage',
      mismatches.length === 0,
      mismatches.length ? `${mismatches.length} mismatches, e.g. ${JSON.stringify(mismatches.slice(0, 2))}` : `${fullyCounted} calls with full usage (${FIXED_USAGE.inputTokens}+${FIXED_USAGE.outputTokens} tokens, $${USD_PER_CALL}) matched the emulator's answers`,
    ),
  ];
}

/**
 * The rate limit held exactly across both instances: no minute's counter above `rpm`, a minute in which a call was
 * refused for the rate both when sent and when answered admitted exactly `rpm`, and the counters add up to the calls
 * the records show admitted.
 */
export function checkRateLimit(outcomes, records, rpmCounters) {
  const { rpm, name } = KEYS.rpm;
  const refusedForRate = (outcome) => outcome.key === KEYS.rpm.key && outcome.kind === 'error:429:ThrottlingException' && outcome.attempts === 0;
  const byRequestId = new Map(records.map((record) => [record.request_id, record]));
  const fullMinutes = new Set();
  for (const outcome of outcomes) {
    const record = byRequestId.get(outcome.requestId);
    if (!record || !refusedForRate({ ...outcome, attempts: record.attempts.length })) continue;
    const minute = Math.floor(outcome.sentAt / MINUTE_MS);
    if (minute === Math.floor(outcome.answeredAt / MINUTE_MS)) fullMinutes.add(minute);
  }
  const keyRecords = records.filter((record) => record.key_name === name);
  const admitted = keyRecords.filter((record) => !(record.status === 429 && record.attempts.length === 0)).length;
  const counted = [...rpmCounters.values()].reduce((sum, value) => sum + value, 0);
  const over = [...rpmCounters].filter(([, value]) => value > rpm);
  const short = [...fullMinutes].filter((minute) => rpmCounters.get(minute) !== rpm);
  return [
    check(
      `rate limit held exactly (rpm ${rpm}, both instances)`,
      over.length === 0 && short.length === 0 && counted === admitted && fullMinutes.size > 0,
      `per minute admitted ${JSON.stringify(Object.fromEntries(rpmCounters))}; ${keyRecords.length - admitted} refused with 429; ${fullMinutes.size} minutes seen full; counters ${counted} = admitted in records ${admitted}`,
    ),
  ];
}

/**
 * The budget held: its spend in Redis is exactly the records' costs, it was reached, and it was overrun by less than
 * the calls that can be admitted before the spend shows the budget reached. The gateway checks the spend when it
 * admits a call and charges the cost once the answer has ended, so every call admitted while others are still
 * running passes the check ({@link CONCURRENCY}.budget at a time here), plus one: the cost is written just after the
 * response ends, so a client that calls again at once can be admitted before the previous cost has landed.
 */
export function checkBudget(records, spentUsd) {
  const { name, maxBudgetUsd } = KEYS.budget;
  const keyRecords = records.filter((record) => record.key_name === name);
  const charged = keyRecords.reduce((sum, record) => sum + (record.cost_usd ?? 0), 0);
  const refused = keyRecords.filter((record) => record.status === 403).length;
  const boundCalls = CONCURRENCY.budget + 1;
  const bound = maxBudgetUsd + boundCalls * USD_PER_CALL;
  return [
    check(
      `budget held ($${maxBudgetUsd}, both instances)`,
      Math.abs(spentUsd - charged) < 1e-9 && spentUsd >= maxBudgetUsd && spentUsd < bound && refused > 0,
      `spent $${spentUsd.toFixed(4)} in Redis = $${charged.toFixed(4)} in records; overrun ${Math.round((spentUsd - maxBudgetUsd) / USD_PER_CALL)} calls (bound: under ${boundCalls}); ${refused} refused with 403`,
    ),
  ];
}

/** Each instance came back to its baseline: open handles at most as many, RSS within the tolerance. */
export function checkResources(instances) {
  return instances.flatMap(({ name, baseline, after }) => [
    check(`${name}: open handles back to baseline`, after.openHandles <= baseline.openHandles, `${baseline.openHandles} before, ${after.openHandles} after`),
    check(
      `${name}: RSS back to baseline`,
      after.rssBytes <= baseline.rssBytes + RSS_TOLERANCE_BYTES,
      `${mb(baseline.rssBytes)} before, ${mb(after.rssBytes)} after (tolerance +${mb(RSS_TOLERANCE_BYTES)})`,
    ),
  ]);
}

/** The instances logged no error and stopped cleanly on SIGTERM. */
export function checkInstances(instances) {
  return instances.map(({ name, errors, exitCode }) => check(`${name}: no error logged, clean stop`, errors.length === 0 && exitCode === 0, `exit ${exitCode}; ${errors.length} error lines${errors.length ? `, e.g. ${errors[0]}` : ''}`));
}

export const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
