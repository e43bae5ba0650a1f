/**
 * The built-in spend table: requests, tokens and USD by day, key and model group, counted in the {@link Store} so
 * that every instance sharing it adds to one table (in memory by default). Enough to answer "who spent what" without
 * a database; hosts that need durable records pass their own cost tracker.
 */
import type { Store } from '../state/store';
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

export interface SpendTable extends CostTracker {
  /** The spend so far (this store's, all instances'), optionally from a day on (`YYYY-MM-DD`, inclusive). */
  report(options?: { since?: string }): Promise<SpendReport>;
}

const PREFIX = 'spend/';
/** Rows are kept this long, then expire with their counters. */
const KEPT_MS = 90 * 86_400_000;
const FIELDS = ['requests', 'errors', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'costUsd', 'unpricedRequests'] as const;
type Field = (typeof FIELDS)[number];

function emptyTotals(): SpendTotals {
  return { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, unpricedRequests: 0 };
}

function add(into: SpendTotals, from: SpendTotals): void {
  for (const field of FIELDS) into[field] += from[field];
}

/** What one record adds to its cell. */
function amountsOf(usage: UsageRecord): Array<[Field, number]> {
  const tokens = usage.usage;
  const amounts: Array<[Field, number]> = [['requests', 1]];
  if (usage.status >= 400 || usage.outcome === 'upstream-failed') amounts.push(['errors', 1]);
  if (tokens) {
    amounts.push(['inputTokens', tokens.inputTokens], ['outputTokens', tokens.outputTokens]);
    amounts.push(['cacheReadTokens', tokens.cacheReadTokens], ['cacheWriteTokens', tokens.cacheWriteTokens]);
  }
  if (usage.costUsd !== null) amounts.push(['costUsd', usage.costUsd]);
  else if (tokens) amounts.push(['unpricedRequests', 1]);
  return amounts.filter(([, amount]) => amount > 0);
}

/** Key and model names may hold any character: each part of a counter's name is encoded. */
function cellKey(day: string, keyName: string, modelName: string, field: Field): string {
  return `${PREFIX}${day}/${encodeURIComponent(keyName)}/${encodeURIComponent(modelName)}/${field}`;
}

export function createSpendTable(store: Store): SpendTable {
  return {
    async record(usage: UsageRecord): Promise<void> {
      const day = usage.time.toISOString().slice(0, 10);
      const keyName = usage.keyName ?? 'anonymous';
      await Promise.all(amountsOf(usage).map(([field, amount]) => store.increment(cellKey(day, keyName, usage.modelName, field), amount, KEPT_MS)));
    },

    async report(options = {}): Promise<SpendReport> {
      const cells = new Map<string, SpendRow>();
      for (const [key, value] of await store.entries(PREFIX)) {
        const [day, keyName, modelName, field] = key.slice(PREFIX.length).split('/');
        if (!day || keyName === undefined || modelName === undefined || !FIELDS.includes(field as Field)) continue;
        if (options.since !== undefined && day < options.since) continue;
        const cell = `${day}/${keyName}/${modelName}`;
        let row = cells.get(cell);
        if (!row) {
          row = { day, keyName: decodeURIComponent(keyName), modelName: decodeURIComponent(modelName), ...emptyTotals() };
          cells.set(cell, row);
        }
        row[field as Field] += value;
      }
      const rows = [...cells.values()].sort((a, b) => a.day.localeCompare(b.day) || a.keyName.localeCompare(b.keyName) || a.modelName.localeCompare(b.modelName));
      const byKey: Record<string, SpendTotals> = {};
      const byModel: Record<string, SpendTotals> = {};
      const byDay: Record<string, SpendTotals> = {};
      const total = emptyTotals();
      for (const row of rows) {
        add((byKey[row.keyName] ??= emptyTotals()), row);
        add((byModel[row.modelName] ??= emptyTotals()), row);
        add((byDay[row.day] ??= emptyTotals()), row);
        add(total, row);
      }
      return { rows, byKey, byModel, byDay, total };
    },
  };
}
