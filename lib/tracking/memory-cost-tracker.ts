/**
 * The built-in {@link CostTracker}: spend and tokens in memory, by day, key and model group, for one instance.
 * Enough to answer "who spent what today" without a database; hosts that need durable records pass their own.
 */
import type { CostTracker, UsageRecord } from '../types';

/** Totals of a set of requests. */
export interface SpendTotals {
  requests: number;
  /** Requests that failed (status 400 or more, or a stream that broke off). */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** USD of the requests whose cost is known. */
  costUsd: number;
  /** Requests that used tokens at prices the gateway does not know: their cost is missing from `costUsd`. */
  unpricedRequests: number;
}

/** One cell of the spend table: a day (UTC, `YYYY-MM-DD`), a key and a model group. */
export interface SpendRow extends SpendTotals {
  readonly day: string;
  readonly keyName: string;
  readonly modelName: string;
}

/** The spend table, and its totals by key, by model group and by day. */
export interface SpendReport {
  readonly rows: readonly SpendRow[];
  readonly byKey: Readonly<Record<string, SpendTotals>>;
  readonly byModel: Readonly<Record<string, SpendTotals>>;
  readonly byDay: Readonly<Record<string, SpendTotals>>;
  readonly total: SpendTotals;
}

export interface MemoryCostTracker extends CostTracker {
  /** The spend so far, optionally from a day on (`YYYY-MM-DD`, inclusive). */
  report(options?: { since?: string }): SpendReport;
}

/** Days kept: older rows are dropped as new days arrive, so memory stays bounded. */
const DAYS_KEPT = 90;

function emptyTotals(): SpendTotals {
  return { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, unpricedRequests: 0 };
}

function add(into: SpendTotals, from: SpendTotals): void {
  into.requests += from.requests;
  into.errors += from.errors;
  into.inputTokens += from.inputTokens;
  into.outputTokens += from.outputTokens;
  into.cacheReadTokens += from.cacheReadTokens;
  into.cacheWriteTokens += from.cacheWriteTokens;
  into.costUsd += from.costUsd;
  into.unpricedRequests += from.unpricedRequests;
}

export function createMemoryCostTracker(): MemoryCostTracker {
  const rows = new Map<string, SpendRow>();
  const days = new Set<string>();

  function forget(): void {
    if (days.size <= DAYS_KEPT) return;
    const oldest = [...days].sort().slice(0, days.size - DAYS_KEPT);
    for (const day of oldest) days.delete(day);
    for (const [cell, row] of rows) if (!days.has(row.day)) rows.delete(cell);
  }

  return {
    record(usage: UsageRecord): void {
      const day = usage.time.toISOString().slice(0, 10);
      const keyName = usage.keyName ?? 'anonymous';
      const cell = `${day}\n${keyName}\n${usage.modelName}`;
      let row = rows.get(cell);
      if (!row) {
        row = { day, keyName, modelName: usage.modelName, ...emptyTotals() };
        rows.set(cell, row);
        if (!days.has(day)) {
          days.add(day);
          forget();
        }
      }
      const tokens = usage.usage;
      row.requests += 1;
      if (usage.status >= 400 || usage.outcome === 'upstream-failed') row.errors += 1;
      if (tokens) {
        row.inputTokens += tokens.inputTokens;
        row.outputTokens += tokens.outputTokens;
        row.cacheReadTokens += tokens.cacheReadTokens;
        row.cacheWriteTokens += tokens.cacheWriteTokens;
      }
      if (usage.costUsd !== null) row.costUsd += usage.costUsd;
      else if (tokens) row.unpricedRequests += 1;
    },

    report(options = {}): SpendReport {
      const selected = [...rows.values()].filter((row) => options.since === undefined || row.day >= options.since);
      const byKey: Record<string, SpendTotals> = {};
      const byModel: Record<string, SpendTotals> = {};
      const byDay: Record<string, SpendTotals> = {};
      const total = emptyTotals();
      for (const row of selected) {
        add((byKey[row.keyName] ??= emptyTotals()), row);
        add((byModel[row.modelName] ??= emptyTotals()), row);
        add((byDay[row.day] ??= emptyTotals()), row);
        add(total, row);
      }
      return { rows: selected.map((row) => ({ ...row })), byKey, byModel, byDay, total };
    },
  };
}
