/**
 * Admission of each request against its key's limits, before any upstream call, counted in the {@link Store} so
 * that every instance sharing it enforces one limit: requests per minute, tokens per minute, requests in flight,
 * and the budget. Tokens and spend are counted from the answer once it is over (a stream that runs over its budget is
 * not cut off; the next request is refused).
 */
import { GatewayError } from '../errors';
import type { Store } from '../state/store';
import { StoreUnavailableError } from '../state/store-unavailable-error';
import type { KeyLimits, Logger, Principal } from '../types';

const MINUTE_MS = 60_000;
/** A budget without a period never resets: its counter lives (practically) for ever. */
const LIFETIME_MS = 100 * 365 * 86_400_000;
/**
 * A parallel-request lease outlives any request (the router's default timeout is 10 minutes) and then frees
 * itself: the leases of an instance that died are not held for ever.
 */
const LEASE_TTL_MS = 15 * MINUTE_MS;

/** What an admitted request holds until it is over. */
export interface AdmissionTicket {
  /** Counts the answer's tokens and cost, and frees the parallel-request lease. Call it exactly once. */
  release(tokens: number, costUsd: number | null): Promise<void>;
}

const NOTHING_HELD: AdmissionTicket = { release: async () => undefined };

/** A key's counts in its current windows. */
export interface KeyUsage {
  readonly requestsThisMinute: number;
  readonly tokensThisMinute: number;
  readonly inFlight: number;
  readonly budgetSpendUsd: number;
  /** When the budget period ends; undefined for a budget without one. */
  readonly budgetResetsAt: Date | undefined;
}

function throttled(message: string, retryAfterMs: number | undefined): GatewayError {
  const headers: Record<string, string> = retryAfterMs === undefined ? {} : { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
  return new GatewayError('ThrottlingException', message, undefined, headers);
}

function usd(amount: number): string {
  return `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
}

export class KeyLimiter {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** The counter keys of a key's current windows. */
  private windows(principal: Principal, limits: KeyLimits, now: number) {
    const minute = Math.floor(now / MINUTE_MS);
    const budgetPeriod = limits.budgetDurationMs ?? LIFETIME_MS;
    const budgetWindow = Math.floor(now / budgetPeriod);
    return {
      requests: `key-rpm:${principal.keyId}:${minute}`,
      tokens: `key-tpm:${principal.keyId}:${minute}`,
      parallel: `key-parallel:${principal.keyId}`,
      spend: `key-spend:${principal.keyId}:${budgetPeriod}:${budgetWindow}`,
      budgetPeriod,
      budgetResetsAt: (budgetWindow + 1) * budgetPeriod,
      minuteEndsInMs: (minute + 1) * MINUTE_MS - now,
      /** Counters live until their window ends (and a second more, for clocks a little apart). */
      minuteTtlMs: (minute + 1) * MINUTE_MS - now + 1000,
      budgetTtlMs: (budgetWindow + 1) * budgetPeriod - now + 1000,
    };
  }

  /** A key's current counts, as the admin API shows them (every instance's, when they share the store). */
  async usage(principal: Principal): Promise<KeyUsage> {
    const limits = principal.limits ?? {};
    const windows = this.windows(principal, limits, this.now());
    const [requests, tokens, spent] = await this.store.getMany([windows.requests, windows.tokens, windows.spend]);
    return {
      requestsThisMinute: requests ?? 0,
      tokensThisMinute: tokens ?? 0,
      inFlight: await this.store.leases(windows.parallel),
      budgetSpendUsd: spent ?? 0,
      budgetResetsAt: limits.budgetDurationMs === undefined ? undefined : new Date(windows.budgetResetsAt),
    };
  }

  /**
   * Admits a request, or throws: 403 when the budget is spent (no use retrying before it resets), 429 with
   * `retry-after` when a rate or parallel limit is reached.
   */
  async admit(principal: Principal, requestId: string): Promise<AdmissionTicket> {
    const limits = principal.limits;
    if (!limits) return NOTHING_HELD;
    const now = this.now();
    const windows = this.windows(principal, limits, now);

    // Checks that count nothing first, so a refused request uses up no limit.
    const [tokens, spent] = await this.store.getMany([windows.tokens, windows.spend]);
    if (limits.maxBudgetUsd !== undefined && (spent ?? 0) >= limits.maxBudgetUsd) {
      const resets = limits.budgetDurationMs === undefined ? 'it does not reset' : `it resets at ${new Date(windows.budgetResetsAt).toISOString()}`;
      throw new GatewayError(
        'AccessDeniedException',
        `Budget exceeded: key '${principal.keyName}' has spent ${usd(spent ?? 0)} of its ${usd(limits.maxBudgetUsd)} budget; ${resets}.`,
      );
    }
    if (limits.tpm !== undefined && (tokens ?? 0) >= limits.tpm) {
      throw throttled(`Key '${principal.keyName}' used its ${limits.tpm} tokens per minute; try again shortly.`, windows.minuteEndsInMs);
    }

    try {
      return await this.count(principal, limits, windows, requestId);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      // Fail closed (router_settings.redis_failure_mode): a limited key waits for the shared state to come back.
      throw new GatewayError(
        'ServiceUnavailableException',
        `The limits of key '${principal.keyName}' cannot be checked while the gateway's shared state is unavailable; try again shortly.`,
        undefined,
        { 'retry-after': '5' },
      );
    }
  }

  /** Takes the parallel-request lease and counts the request, undoing the lease if the rate limit refuses. */
  private async count(principal: Principal, limits: KeyLimits, windows: ReturnType<KeyLimiter['windows']>, requestId: string): Promise<AdmissionTicket> {
    let leased = false;
    if (limits.maxParallelRequests !== undefined) {
      leased = await this.store.acquireLease(windows.parallel, requestId, limits.maxParallelRequests, LEASE_TTL_MS);
      if (!leased) {
        throw throttled(`Key '${principal.keyName}' already has ${limits.maxParallelRequests} requests in flight; try again when one ends.`, 1000);
      }
    }
    if (limits.rpm !== undefined) {
      const admission = await this.store.incrementWithin(windows.requests, 1, limits.rpm, windows.minuteTtlMs);
      if (!admission.admitted) {
        if (leased) await this.store.releaseLease(windows.parallel, requestId);
        throw throttled(`Key '${principal.keyName}' made its ${limits.rpm} requests this minute; try again shortly.`, windows.minuteEndsInMs);
      }
    }

    return {
      release: async (usedTokens, costUsd) => {
        const counting: Array<Promise<unknown>> = [];
        if (leased) counting.push(this.store.releaseLease(windows.parallel, requestId));
        // Counted in the window the answer ended in: a long stream's tokens land in the current minute.
        const end = this.windows(principal, limits, this.now());
        if (limits.tpm !== undefined && usedTokens > 0) counting.push(this.store.increment(end.tokens, usedTokens, end.minuteTtlMs));
        if (limits.maxBudgetUsd !== undefined && costUsd !== null && costUsd > 0) {
          counting.push(this.store.increment(end.spend, costUsd, end.budgetTtlMs));
        }
        const results = await Promise.allSettled(counting);
        for (const result of results) {
          if (result.status === 'rejected') this.logger.error({ requestId, error: String(result.reason) }, 'counting a request against its key failed');
        }
      },
    };
  }
}
